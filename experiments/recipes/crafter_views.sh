#!/usr/bin/env bash
# What a Crafter policy can see (embodied/BENCHMARKS.md, "What a Crafter policy can see"): demos recorded with
# the local view as one-hot materials (semantic) and the map of what was seen (memory), by the expert that reads
# the whole map and by the one that knows only what was seen (expert_knows=seen); the transformer trained on
# several subsets of the recorded keys; "make a stone pickaxe" from nothing on the held-out seeds 10000-10099.
#   bash experiments/recipes/crafter_views.sh                  # every row (2-core CPU: ~5 min per symbolic row)
#   ROWS="seen:inventory,semantic,memory" bash experiments/recipes/crafter_views.sh
# A row is EXPERT:KEYS (EXPERT = world | seen); pixel rows (rgb in KEYS) train ~10x slower on CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-data/crafter}"
STEPS="${STEPS:-15000}"
EPISODES="${EPISODES:-1000}"
ROWS="${ROWS:-world:inventory,semantic world:inventory,semantic,memory seen:inventory,semantic,memory}"
PYTHON="${PYTHON:-python}"
export OMP_NUM_THREADS=1
EMBODIED="$PYTHON -m embodied.cli.main"

mkdir -p "$OUT"
for row in $ROWS; do
  expert="${row%%:*}" keys="${row#*:}"
  data="$OUT/demos_$expert.hdf5"
  if [ ! -f "$data" ]; then  # collect appends to an existing file: record each expert's demos once
    $EMBODIED collect env=crafter +env.kwargs.semantic=true +env.kwargs.memory=true +env.kwargs.expert_knows="$expert" \
      episodes="$EPISODES" seed=0 workers=1 out="$data"
  fi
  run="$OUT/run_${expert}_${keys//,/_}"
  $EMBODIED train dataset="$data" policy=transformer "train.obs_keys=[$keys]" train.steps="$STEPS" \
    train.batch_size=64 train.seed=0 train.device=cpu out="$run"
  $EMBODIED eval checkpoint="$run" episodes=100 seed=10000 workers=2 "instruction=make a stone pickaxe" \
    out="$run/eval.json" | tail -n 1 > /dev/null
  echo "$row: $($PYTHON -c "import json, sys; m = json.load(open(sys.argv[1]))['instruction_success']; \
print(f\"{m['successes']}/{m['attempts']} whole chains\")" "$run/eval.json") ($run/eval.json)"
done
