#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs requirements.lock plus this
# project (editable). Idempotent: does nothing when the lock, pyproject.toml
# and the venv are unchanged since the last successful run.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.albert-setup-stamp"

find_python() {
  if command -v python3.10 >/dev/null 2>&1 && python3.10 -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
    command -v python3.10; return
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local p
    p="$(pyenv prefix 3.10 2>/dev/null || true)"
    if [ -n "$p" ] && [ -x "$p/bin/python" ]; then echo "$p/bin/python"; return; fi
  fi
  for p in /usr/bin/python3.10 /usr/local/bin/python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python; do
    if [ -x "$p" ]; then echo "$p"; return; fi
  done
  return 1
}

want="$(cat requirements.lock pyproject.toml scripts/setup_env.sh | sha256sum | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/python" ] \
   && "$VENV/bin/python" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("albert_keras") is None)' 2>/dev/null; then
  echo "setup: .venv is up to date"
  exit 0
fi

if ! PY="$(find_python)"; then
  cat >&2 <<'MSG'
setup: Python 3.10 was not found.
  albert-keras needs Python 3.10 (TFX 1.16 supports Python < 3.11).
  Install it with one of:
    pyenv install 3.10          (then re-run `make setup`)
    apt-get install python3.10 python3.10-venv
MSG
  exit 1
fi
echo "setup: using $PY ($("$PY" --version 2>&1))"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2]==(3,10)' 2>/dev/null; then
  rm -rf "$VENV"
  # A venv with pip inside: TFX installs the Trainer module wheel with `python -m pip`.
  "$PY" -m venv "$VENV"
fi
if [ ! -x "$VENV/bin/uv" ]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "uv==0.13.9"
fi
export VIRTUAL_ENV="$PWD/$VENV"
# --compile-bytecode writes every .pyc now. Without it Python compiles TensorFlow's sources in every new process
# whenever PYTHONDONTWRITEBYTECODE is set (as on CI machines): `import tensorflow` then costs ~19 s instead of ~7 s.
"$VENV/bin/uv" pip sync --compile-bytecode --python "$VENV/bin/python" requirements.lock
# sync removes what the lock does not name: put pip and the project back.
"$VENV/bin/uv" pip install --python "$VENV/bin/python" --no-deps pip -e .
echo "$want" > "$STAMP"
echo "setup: done"
