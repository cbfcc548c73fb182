# syntax=docker/dockerfile:1
# The pipeline image (`pipeline.image`): every TFX component on Vertex AI
# Pipelines / Kubeflow, the CPU workers of the Vertex AI Trainer, and the
# Beam SDK harness of Dataflow, Flink and Spark workers (tensorflow_text and
# albert_keras installed). Build from the repository root:
#   docker build -f docker/pipeline.Dockerfile -t gcr.io/YOUR_PROJECT/albert-keras:latest .
# (`make image` builds every image; docs/production.md.)
ARG PYTHON_IMAGE=python:3.10-slim-bookworm
ARG BEAM_SDK_IMAGE=apache/beam_python3.10_sdk:2.60.0
FROM ${BEAM_SDK_IMAGE} AS beam

FROM ${PYTHON_IMAGE}
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY albert_keras ./albert_keras
COPY pipeline ./pipeline
COPY serving ./serving
COPY docker/install.sh docker/smoke_check.py ./docker/
# The install step, the same script tests/test_production_image.py runs (there from uv's cache).
# UV_COMPILE_BYTECODE: the .pyc files are written once here, not at every container start.
RUN UV_COMPILE_BYTECODE=1 PYTHON=python3.10 bash docker/install.sh /src /opt/venv && uv cache clean
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
# The image's own check: TF Text ops, every pipeline module, the Trainer's run_fn, the export.
RUN cd / && python /src/docker/smoke_check.py /tmp/smoke && rm -rf /tmp/smoke /src

# Beam's worker boot. It would make a venv of its own and lose /opt/venv's
# packages: RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT keeps it on this Python.
COPY --from=beam /opt/apache/beam /opt/apache/beam
ENV RUN_PYTHON_SDK_IN_DEFAULT_ENVIRONMENT=1
WORKDIR /
# Dataflow and the portable runners start the boot; Vertex AI Pipelines and
# Training give a command of their own (python -m tfx...), replacing it.
ENTRYPOINT ["/opt/apache/beam/boot"]
