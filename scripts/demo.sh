#!/usr/bin/env bash
# `make demo`: Chinese reviews end to end (see scripts/demo.py):
#   1. the pretraining pipeline on data/zh_reviews (WordPiece characters, dynamic masking), pushed;
#   2. the fine-tuning pipeline (sentiment) from the pushed model, gated by TFMA, pushed;
#   3. `albert serve` with both models, then `albert query` fill_mask and classify;
#   4. one results table (held-out accuracies beside baselines, wall time of each stage).
# Library messages go to runs/demo/demo.log and each pipeline's logs/pipeline.log.
# Environment: PYTHON (default .venv/bin/python), ALBERT, DEMO_RUNS, DEMO_BEAM_ARGS (scripts/demo.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-.venv/bin/python}
exec "$PYTHON" scripts/demo.py "$@"
