#!/usr/bin/env bash
# Train and evaluate every (world, policy) pair side by side (meant for a GPU machine with many cores).
#   WORLDS="crafter fetch_push tabletop" POLICIES="transformer diffusion" OUT=data/matrix \
#     bash experiments/recipes/policy_matrix.sh
# Demos are recorded once per world; the (world, policy) runs then train and evaluate in parallel.
# Evaluation: EVAL_EPISODES held-out seeds, expert takeover after a failed subgoal (every subgoal measured).
set -euo pipefail
WORLDS="${WORLDS:-crafter fetch_push fetch_pick_and_place tabletop kitchen}"
POLICIES="${POLICIES:-transformer diffusion}"
OUT="${OUT:-data/matrix}"
STEPS="${STEPS:-6000}"
EVAL_EPISODES="${EVAL_EPISODES:-50}"
EMBODIED="${EMBODIED:-python -m embodied.cli.main}"
DEVICE="${DEVICE:-auto}"
EVAL_DEVICE=$(python -c "import torch; print('cuda' if torch.cuda.is_available() and '$DEVICE' != 'cpu' else 'cpu')")
declare -A EPISODES=([crafter]=400 [fetch_push]=200 [fetch_pick_and_place]=200 [fetch_slide]=200 [fetch_reach]=100
                     [tabletop]=300 [kitchen]=200)
mkdir -p "$OUT"
for world in $WORLDS; do
  rm -f "$OUT/$world.hdf5"
  $EMBODIED collect env="$world" episodes="${EPISODES_OVERRIDE:-${EPISODES[$world]}}" out="$OUT/$world.hdf5" \
    > "$OUT/collect_$world.log" 2>&1
  tail -n 3 "$OUT/collect_$world.log"
done
for world in $WORLDS; do
  for policy in $POLICIES; do
    train_group=$([ "$policy" = diffusion ] && echo diffusion || echo default)
    (
      $EMBODIED train dataset="$OUT/$world.hdf5" policy="$policy" train="$train_group" train.steps="$STEPS" \
        train.batch_size=128 train.device="$DEVICE" out="$OUT/run_${world}_$policy" > "$OUT/train_${world}_$policy.log" 2>&1
      $EMBODIED eval checkpoint="$OUT/run_${world}_$policy" episodes="$EVAL_EPISODES" device="$EVAL_DEVICE" \
        out="$OUT/eval_${world}_$policy.json" > "$OUT/eval_${world}_$policy.log" 2>&1
    ) &
  done
done
wait
python experiments/benchmarks/summarize_evals.py "$OUT"/eval_*.json
