#!/usr/bin/env bash
# Fine-tunes the open-ended Crafter policy on demos by the expert of 2026-12-07 (evening), which tunnels through
# stone for coal and iron and places the furnace and a second table where the iron was found (embodied/BENCHMARKS.md,
# '"Make an iron pickaxe": stations where the iron is, an expert that tunnels'): 600 "make an iron pickaxe" demos,
# 400 sampled-instruction demos and 400 whole open-ended episodes, all by the expert that knows only what was seen,
# then `train.init=` the policy to start from, 20,000 steps at lr 1e-4 (the shipped Crafter policy); evaluated on the
# held-out seeds 10000..
#   bash experiments/recipes/crafter_iron.sh    # 2-core CPU: ~15 min demos (two workers), ~20 min training, ~8 min evals
# DAGGER_ROUNDS=3 then runs the DAgger rounds of embodied/BENCHMARKS.md, "DAgger on make an iron pickaxe" (100
# expert-labelled rollouts a round, beta 0.5 ** round, 5,000 steps a round with its own schedule, a DAgger step drawn
# 4x as often as a demo step; ~12 min a round; the table is OUT/dagger_iron/dagger.json) and evaluates the last
# round's policy instead. Off by default: the rounds did not beat the fine-tune on the tuning seeds.
# ROUTE=1 records the demos with the `route` observation too and trains on it (experiments/recipes/crafter_route.sh).
# INIT is the policy it starts from: by default the open-ended policy of experiments/recipes/crafter_open_ended.sh
# (OPEN_EPISODES=800 POLICY_ARGS="policy.dim=256 policy.layers=3"), the Crafter policy shipped before this one.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-data/crafter_iron}"
INIT="${INIT:-data/crafter/run_open_ended/policy}"
STEPS="${STEPS:-20000}"
EVAL_EPISODES="${EVAL_EPISODES:-100}"
WORKERS="${WORKERS:-2}"
DAGGER_ROUNDS="${DAGGER_ROUNDS:-0}"
ROUTE="${ROUTE:-0}"
PYTHON="${PYTHON:-python}"
EMBODIED="$PYTHON -m embodied.cli.main"
VIEW="+env.kwargs.semantic=true +env.kwargs.memory=true +env.kwargs.expert_knows=seen"
OBS_KEYS="inventory,semantic,memory"
if [ "$ROUTE" = 1 ]; then
  VIEW="$VIEW +env.kwargs.route=true"
  OBS_KEYS="$OBS_KEYS,route"
fi
export OMP_NUM_THREADS=1

if [ ! -f "$INIT/policy.json" ]; then
  echo "crafter_iron.sh: INIT=$INIT is not a policy; run experiments/recipes/crafter_open_ended.sh first or set INIT" >&2
  exit 2
fi
mkdir -p "$OUT"
collect() {  # name, seed, episodes, extra arguments
  local name="$1" seed="$2" episodes="$3"
  shift 3
  [ -f "$OUT/$name.hdf5" ] || $EMBODIED collect env=crafter $VIEW episodes="$episodes" seed="$seed" \
    workers="$WORKERS" "$@" out="$OUT/$name.hdf5"
}
collect iron_seen 0 300 "instruction='make an iron pickaxe'"
collect iron_seen2 300 300 "instruction='make an iron pickaxe'"
collect demos_seen 1000 400
collect open_seen 3000 100 open_ended=true
collect open_seen2 3100 300 open_ended=true
files="$OUT/iron_seen.hdf5,$OUT/iron_seen2.hdf5,$OUT/demos_seen.hdf5,$OUT/open_seen.hdf5,$OUT/open_seen2.hdf5"
OMP_NUM_THREADS=2 $EMBODIED train "dataset=[$files]" policy=transformer "train.obs_keys=[$OBS_KEYS]" \
  train.init="$INIT" train.steps="$STEPS" train.batch_size=64 train.lr=1e-4 train.seed=0 train.device=cpu \
  out="$OUT/run_iron"
run="$OUT/run_iron"
if [ "$DAGGER_ROUNDS" -gt 0 ]; then
  OMP_NUM_THREADS=2 $EMBODIED dagger "dataset=[$files]" init="$run" out="$OUT/dagger_iron" rounds="$DAGGER_ROUNDS" \
    episodes_per_round=100 beta=0.5 steps_per_round=5000 restart_schedule=true train.dagger_weight=4 \
    "instruction='make an iron pickaxe'" eval_episodes="$EVAL_EPISODES" eval_workers="$WORKERS" train.lr=1e-4 \
    train.batch_size=64 train.seed=0 train.device=cpu
  run="$OUT/dagger_iron/train"
fi
$EMBODIED eval checkpoint="$run" episodes="$EVAL_EPISODES" seed=10000 "instruction='make an iron pickaxe'" \
  takeover=false max_replans=2 workers="$WORKERS" out="$run/iron.json" | tail -n 1 > /dev/null
$EMBODIED eval checkpoint="$run" episodes="$EVAL_EPISODES" seed=10000 "instruction='make a stone pickaxe'" \
  takeover=false max_replans=2 workers="$WORKERS" out="$run/stone.json" | tail -n 1 > /dev/null
$EMBODIED eval open_ended=true checkpoint="$run" episodes="$EVAL_EPISODES" seed=10000 workers="$WORKERS" \
  out="$run/open_ended.json" | tail -n 1 > /dev/null
