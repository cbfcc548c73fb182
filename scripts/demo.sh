#!/usr/bin/env bash
# Demo: the TFX pretraining pipeline on the bundled corpus, then serving and fill-mask.
#
#   1. `albert pipeline run configs/pipeline/pretrain_local.yaml` (LocalDagRunner,
#      Beam DirectRunner in multi-processing mode): raw text -> vocabulary ->
#      pretraining examples -> validation -> Trainer -> MLM evaluator -> Pusher;
#   2. `albert serve` on free loopback ports, in the background, waited for
#      until the model is AVAILABLE and always stopped on exit;
#   3. `albert query` fill_mask for an English sentence and for 猫是[MASK]。,
#      printing the top-5 answers.
#
# Each command prints only its own progress and results (under 60 lines in all);
# TensorFlow/Beam/TFX messages go to PIPELINE_ROOT/logs/pipeline.log and
# runs/logs/albert-{serve,query}.log (`albert --verbose ...` shows them).
#
# Environment: CONFIG (default configs/pipeline/pretrain_local.yaml),
# PYTHON/ALBERT (default .venv/bin/python, .venv/bin/albert).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CONFIG=${CONFIG:-configs/pipeline/pretrain_local.yaml}
PYTHON=${PYTHON:-.venv/bin/python}
ALBERT=${ALBERT:-.venv/bin/albert}
MODEL_NAME=albert
LOG_DIR=runs/demo
mkdir -p "$LOG_DIR"

SERVING_DIR=$("$PYTHON" -c 'import sys, yaml, os; print(os.path.abspath(yaml.safe_load(open(sys.argv[1]))["pipeline"]["serving_dir"]))' "$CONFIG")

echo "== 1/3 pipeline: $CONFIG"
start=$(date +%s)
"$ALBERT" pipeline run "$CONFIG"
pipeline_done=$(date +%s)
echo "pipeline wall time: $((pipeline_done - start)) s"
PIPELINE_ROOT=$("$PYTHON" -c 'import sys, yaml, os; print(os.path.abspath(yaml.safe_load(open(sys.argv[1]))["pipeline"]["root"]))' "$CONFIG")
if ! ls "$SERVING_DIR" 2>/dev/null | grep -qE '^[0-9]+$'; then
  echo "error: nothing was pushed to $SERVING_DIR (was the model blessed? see $PIPELINE_ROOT/logs/pipeline.log)" >&2
  exit 1
fi
# What the model learned, from the newest MlmEvaluator blessing (held-out eval split).
"$PYTHON" - "$PIPELINE_ROOT" <<'PY'
import glob, json, os, sys
runs = glob.glob(os.path.join(sys.argv[1], "MlmEvaluator", "blessing", "*", "metrics.json"))
if not runs:
    sys.exit(f"error: no MlmEvaluator metrics under {sys.argv[1]}")
m = json.load(open(max(runs, key=lambda p: int(os.path.basename(os.path.dirname(p))))))
best = m.get("best_constant_accuracy")  # absent in blessings of older versions
print(f"held-out MLM accuracy {m['mlm_accuracy']:.3f} over {m['num_predictions']} masked tokens"
      + (f" (one answer for all of them at best: {best:.3f})" if best is not None else "")
      + f", SOP accuracy {m['sop_accuracy']:.3f}")
PY

read -r GRPC_PORT REST_PORT < <("$PYTHON" - <<'PY'
import socket
ports = []
socks = []
for _ in range(2):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
    ports.append(s.getsockname()[1])
for s in socks:
    s.close()
print(*ports)
PY
)

echo "== 2/3 serving $SERVING_DIR on 127.0.0.1:$GRPC_PORT (gRPC) / :$REST_PORT (REST)"
"$ALBERT" serve --model-base-path "$SERVING_DIR" --model-name "$MODEL_NAME" \
  --host 127.0.0.1 --port "$GRPC_PORT" --rest-port "$REST_PORT" >"$LOG_DIR/serve.log" 2>&1 &
SERVER_PID=$!
cleanup() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

"$PYTHON" - "$REST_PORT" "$MODEL_NAME" "$SERVER_PID" <<'PY'
import json, os, sys, time, urllib.request
port, name, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("error: the model server exited; see runs/demo/serve.log")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models/{name}", timeout=5) as r:
            states = [v.get("state") for v in json.load(r).get("model_version_status", [])]
        if "AVAILABLE" in states:
            print("model AVAILABLE")
            sys.exit(0)
    except OSError:
        pass
    time.sleep(1)
sys.exit("error: the model did not become AVAILABLE within 300 s; see runs/demo/serve.log")
PY

echo "== 3/3 fill_mask (top 5)"
"$ALBERT" query --server "127.0.0.1:$GRPC_PORT" --model "$MODEL_NAME" --signature fill_mask \
  --text "There is no such thing as a free [MASK]." \
  --text "猫是[MASK]。"
echo "(A 2-layer model pretrained for a few minutes on ~480 KB answers frequent pieces, not yet sensible"
echo " words: see docs/pipeline.md, 'What the demo model learns'.)"
end=$(date +%s)
echo "demo wall time: $((end - start)) s (pipeline $((pipeline_done - start)) s)"
