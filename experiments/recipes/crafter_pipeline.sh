#!/usr/bin/env bash
# The main job at small scale on the embedded default world (Crafter): record scripted-expert demos,
# train the goal-conditioned transformer, evaluate it, then run the planner + policy agent on an instruction.
# A few minutes on a 2-core CPU. Scale up with e.g. EPISODES=200 STEPS=20000.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash experiments/setup.sh dev
. .venv/bin/activate
EPISODES="${EPISODES:-40}"
STEPS="${STEPS:-1500}"
EVAL_EPISODES="${EVAL_EPISODES:-20}"
DATA=data/demos/crafter.hdf5
RUN=data/runs/crafter_transformer
rm -f "$DATA"  # a fresh recording (collect appends to an existing file)
embodied collect env=crafter episodes="$EPISODES" out="$DATA"
embodied data info "$DATA"
embodied train dataset="$DATA" policy=transformer train.steps="$STEPS" out="$RUN"
embodied eval checkpoint="$RUN" episodes="$EVAL_EPISODES" video=data/videos/crafter_eval.mp4 > data/eval_stdout.txt
head -n -1 data/eval_stdout.txt
embodied run "make a stone pickaxe" checkpoint="$RUN" video=data/videos/crafter_run.mp4
echo
echo "metrics: $(tail -n 1 data/eval_stdout.txt)"
echo "metrics file: $RUN/eval.json"
echo "videos: data/videos/crafter_eval.mp4 data/videos/crafter_run.mp4"
