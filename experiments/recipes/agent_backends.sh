#!/usr/bin/env bash
# The full agent (planner + trained policy, no expert takeover) per planner backend, side by side:
# long-horizon instruction success with 95% intervals, the Crafter score, and planning latency.
#   CHECKPOINT=data/runs/crafter_transformer INSTRUCTION="make a stone pickaxe" EPISODES=100 \
#     BACKENDS="symbolic llm openai mllm" MLLM=data/runs/mllm OUT=data/agent bash experiments/recipes/agent_backends.sh
# `openai` talks to the project's own OpenAI-compatible server (python -m planners.serve), started here on
# loopback; point `planner.base_url` at any other server to measure that one instead.
set -euo pipefail
CHECKPOINT="${CHECKPOINT:?set CHECKPOINT to a policy run directory}"
INSTRUCTION="${INSTRUCTION:-make a stone pickaxe}"
EPISODES="${EPISODES:-100}"
BACKENDS="${BACKENDS:-symbolic llm openai}"
MAX_REPLANS="${MAX_REPLANS:-2}"
OUT="${OUT:-data/agent}"
PORT="${PORT:-8011}"
EMBODIED="${EMBODIED:-python -m embodied.cli.main}"
mkdir -p "$OUT"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null || true' EXIT
for backend in $BACKENDS; do
  extra=()
  if [ "$backend" = openai ]; then
    python -m planners.serve --port "$PORT" > "$OUT/server.log" 2>&1 &
    server=$!
    for _ in $(seq 120); do grep -q "^serving" "$OUT/server.log" 2>/dev/null && break; sleep 1; done
    extra=("planner.base_url=http://127.0.0.1:$PORT/v1")
  elif [ "$backend" = mllm ]; then
    extra=("planner.checkpoint=${MLLM:?set MLLM to a train-planner output directory}")
  fi
  $EMBODIED eval checkpoint="$CHECKPOINT" planner="$backend" "${extra[@]}" takeover=false max_replans="$MAX_REPLANS" \
    episodes="$EPISODES" "instruction='$INSTRUCTION'" out="$OUT/agent_$backend.json" > "$OUT/agent_$backend.log" 2>&1
  if [ -n "$server" ]; then kill "$server"; wait "$server" 2>/dev/null || true; server=""; fi
  python - "$OUT/agent_$backend.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
s = m["instruction_success"]
score = f"{m['crafter_score']:.1f}%" if "crafter_score" in m else "-"
print(f"{m['planner']:>10}: instruction done {s['successes']}/{s['attempts']} = {s['success_rate']:.0%} "
      f"[{s['ci95'][0]:.0%}, {s['ci95'][1]:.0%}], Crafter score {score}, median planning "
      f"{m['median_planning_ms']:.0f} ms, plans {m['plan_sources']}")
EOF
done
