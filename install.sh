#!/usr/bin/env bash
# Install sinorus into ./.venv (CPU). Usage: ./install.sh [--dev]
#
# torch goes in first, pinned to the CPU build, so no later step pulls a
# multi-GB CUDA build. For a GPU machine see "GPU install" in README.md.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==${SINORUS_TORCH:-2.13.0}"
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
.venv/bin/python -m pip install -q -e ".${extras}"
echo "sinorus installed in $(pwd)/.venv" >&2
