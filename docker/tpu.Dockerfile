# syntax=docker/dockerfile:1
# The TPU training image (`trainer.vertex.image` of
# configs/pipeline/pretrain_base_vertex.yaml): the pipeline image with the
# TPU build of TensorFlow 2.16 (tensorflow-tpu, which brings libtpu) in
# place of the CPU/GPU one. Build the pipeline image first, then:
#   docker build -f docker/tpu.Dockerfile --build-arg BASE_IMAGE=gcr.io/YOUR_PROJECT/albert-keras:latest \
#       -t gcr.io/YOUR_PROJECT/albert-keras-tpu:latest .
ARG BASE_IMAGE=albert-keras:latest
FROM ${BASE_IMAGE}
ARG TF_TPU_VERSION=2.16.1
ARG LIBTPU_INDEX=https://storage.googleapis.com/libtpu-tf-releases/index.html
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv pip uninstall --python /opt/venv/bin/python tensorflow \
 && uv pip install --python /opt/venv/bin/python --find-links ${LIBTPU_INDEX} "tensorflow-tpu==${TF_TPU_VERSION}" \
 && uv cache clean \
 && python -c "import tensorflow as tf, tensorflow_text; print(tf.__version__)"
