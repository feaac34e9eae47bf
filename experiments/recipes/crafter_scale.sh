#!/usr/bin/env bash
# Crafter at a larger scale (run on a GPU machine; works on CPU, slowly):
# record expert demos in parallel, train a policy, evaluate it on held-out seeds with and without takeover.
#   POLICY=transformer EPISODES=400 STEPS=8000 EVAL_EPISODES=100 OUT=data/scale bash experiments/recipes/crafter_scale.sh
# Diffusion policy (EMA of the weights, train.ema_decay=0.999, via experiments/conf/train/diffusion.yaml):
#   POLICY=diffusion EXTRA="train=diffusion policy.sampler=edm policy.inference_steps=3" bash experiments/recipes/crafter_scale.sh
set -euo pipefail
POLICY="${POLICY:-transformer}"
EPISODES="${EPISODES:-400}"
STEPS="${STEPS:-8000}"
EVAL_EPISODES="${EVAL_EPISODES:-100}"
OUT="${OUT:-data/scale}"
DEVICE="${DEVICE:-auto}"
EXTRA="${EXTRA:-}"
EMBODIED="${EMBODIED:-python -m embodied.cli.main}"
mkdir -p "$OUT"
rm -f "$OUT/crafter.hdf5"
t0=$(date +%s)
$EMBODIED collect env=crafter episodes="$EPISODES" out="$OUT/crafter.hdf5"
t1=$(date +%s)
$EMBODIED train dataset="$OUT/crafter.hdf5" policy="$POLICY" train.steps="$STEPS" train.batch_size=128 \
  train.device="$DEVICE" out="$OUT/run_$POLICY" $EXTRA
t2=$(date +%s)
EVAL_DEVICE=$([ "$DEVICE" = auto ] && python -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')" || echo "$DEVICE")
$EMBODIED eval checkpoint="$OUT/run_$POLICY" episodes="$EVAL_EPISODES" device="$EVAL_DEVICE" \
  out="$OUT/eval_${POLICY}_takeover.json" | tail -n 1 > /dev/null
$EMBODIED eval checkpoint="$OUT/run_$POLICY" episodes="$EVAL_EPISODES" device="$EVAL_DEVICE" takeover=false \
  max_replans=2 instruction="make a stone pickaxe" out="$OUT/eval_${POLICY}_agent.json" | tail -n 1 > /dev/null
t3=$(date +%s)
echo "wall seconds: collect $((t1 - t0)) train $((t2 - t1)) eval $((t3 - t2))"
