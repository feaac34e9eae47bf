#!/usr/bin/env bash
# Install everything the tests need (MuJoCo worlds included) and run the test suite on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash experiments/setup.sh "mujoco,text,llm,scale,demo,dev"
. .venv/bin/activate
export MUJOCO_GL="${MUJOCO_GL:-egl}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"  # small nets: one thread per process avoids oversubscription
python -m pytest tests -q "$@"
