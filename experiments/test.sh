#!/usr/bin/env bash
# Install everything the tests need (MuJoCo worlds included) and run the test suite on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/setup.sh "mujoco,dev"
. .venv/bin/activate
export MUJOCO_GL="${MUJOCO_GL:-egl}"
python -m pytest tests -q "$@"
