#!/usr/bin/env bash
# The install step of the pipeline images: docker/pipeline.Dockerfile and
# docker/gpu.Dockerfile RUN it, and tests/test_production_image.py runs it
# (with UV_OFFLINE=1: from uv's cache) to prove the image's venv is complete.
#
#   docker/install.sh SRC VENV [--gpu]
#
# SRC is a copy of what the Dockerfile copies (requirements.lock,
# pyproject.toml, README.md, albert_keras/, pipeline/, serving/): building the
# wheel writes build/ and *.egg-info into it. VENV is created.
#   1. a Python 3.10 venv ($PYTHON, default python3.10);
#   2. `uv pip sync requirements.lock`: exactly the locked packages;
#      --gpu then adds the CUDA 12.3 wheels of tensorflow[and-cuda] (not in the lock);
#   3. pip again (the sync removes it; Beam's worker boot runs `python -m pip`):
#      ensurepip, the pip bundled with the interpreter, offline;
#   4. the wheel of this package, built from SRC, installed with its
#      `pipeline` extra --offline: the lock must already hold every
#      requirement (a missing one fails here instead of being downloaded);
#   5. `uv pip check`: every installed package's requirements are met.
# $UV names uv (default: uv on PATH).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 SRC VENV [--gpu]" >&2
  exit 2
fi
SRC=$(cd "$1" && pwd)
VENV=$2
GPU=${3:-}
PYTHON=${PYTHON:-python3.10}
UV=${UV:-uv}
TF_VERSION=2.16.2  # requirements.lock's tensorflow

"$PYTHON" -m venv --without-pip "$VENV"
PY="$VENV/bin/python"
"$UV" pip sync --python "$PY" "$SRC/requirements.lock"
if [ "$GPU" = "--gpu" ]; then
  "$UV" pip install --python "$PY" "tensorflow[and-cuda]==$TF_VERSION"
elif [ -n "$GPU" ]; then
  echo "$0: unknown option $GPU (only --gpu)" >&2
  exit 2
fi
"$PY" -m ensurepip --default-pip >/dev/null

DIST=$(mktemp -d)
"$UV" build --python "$PY" --wheel --out-dir "$DIST" "$SRC"
WHEEL=$(ls "$DIST"/albert_keras-*.whl)
"$UV" pip install --python "$PY" --offline "$WHEEL[pipeline]"
rm -rf "$DIST"
"$UV" pip check --python "$PY"
echo "install.sh: $VENV ready ($("$PY" --version), $(basename "$WHEEL")[pipeline])"
