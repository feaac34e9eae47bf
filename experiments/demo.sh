#!/usr/bin/env bash
# Set up and start the web demo on http://127.0.0.1:8765/ (prints the URL): the live agent on Crafter with
# the shipped default policy (embodied/checkpoints/crafter), no training needed. Tabletop and kitchen appear
# in the world selector too (the set-up installs the MuJoCo extra). Ctrl-C stops the server.
# Arguments are `embodied demo` overrides, e.g. `bash experiments/demo.sh port=8080`.
# The collect -> train -> eval -> run pipeline from scratch: bash experiments/recipes/crafter_pipeline.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/setup.sh "mujoco,llm,demo"
. .venv/bin/activate
export MUJOCO_GL="${MUJOCO_GL:-egl}"
exec embodied demo "$@"
