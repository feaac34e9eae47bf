#!/usr/bin/env bash
# Gives the iron-pickaxe policy of experiments/recipes/crafter_iron.sh the `route` observation (embodied/BENCHMARKS.md,
# "Where the iron search fails, and a route planner for it"): the same demos as that recipe (the same seeds, the
# seen-only expert) recorded again with `+env.kwargs.route=true`, then `train.init=` that policy (it grows zero
# weights for the new input), 15,000 steps at lr 1e-4; evaluated on the held-out seeds 10000.. (OUT/run_iron/*.json)
#   bash experiments/recipes/crafter_route.sh   # 2-core CPU: ~20 min demos (two workers), ~16 min training, ~8 min evals
# INIT is the policy it starts from (default: crafter_iron.sh's run; the shipped policy of 2026-12-08 was made from
# the float16 export of that run, embodied/checkpoints/crafter before then).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-data/crafter_route}" INIT="${INIT:-data/crafter_iron/run_iron/policy}" STEPS="${STEPS:-15000}" ROUTE=1 \
  bash experiments/recipes/crafter_iron.sh
