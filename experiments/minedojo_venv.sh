#!/usr/bin/env bash
# MineDojo 0.1's own venv (Python 3.9; embodied/worlds/minetest/README.md, "Real MineDojo"), in .venv-minedojo:
# the minedojo world's adapter tests run against the real `minedojo.make()` in it
# (EMBODIED_MINEDOJO_PYTHON=.venv-minedojo/bin/python). Prints the interpreter's path on success.
set -euo pipefail
cd "$(dirname "$0")/.."
PY39="${PY39:-$HOME/.pyenv/versions/3.9.18/bin/python}"
[ -x "$PY39" ] || { echo "minedojo_venv: no Python 3.9 at $PY39 (set PY39=...)" >&2; exit 2; }
[ -x .venv-minedojo/bin/python ] || "$PY39" -m venv .venv-minedojo
V=.venv-minedojo/bin/pip
$V install -q pip==24.0 setuptools==65.5.0 wheel==0.38.4
$V install -q --no-build-isolation gym==0.21.0
$V install -q minedojo
$V install -q "numpy<2"  # minedojo pulls numpy 2, whose removed np.unicode_ breaks minedojo.make
.venv-minedojo/bin/python -c "import minedojo" && echo "$PWD/.venv-minedojo/bin/python"
