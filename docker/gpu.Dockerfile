# syntax=docker/dockerfile:1
# The GPU training image (`trainer.vertex.image` of
# configs/pipeline/pretrain_base_vertex_gpu.yaml): the pipeline image's
# stack on CUDA 12.3, the CUDA TensorFlow 2.16 is built against, with the
# CUDA/cuDNN wheels of tensorflow[and-cuda]. Build from the repository root:
#   docker build -f docker/gpu.Dockerfile -t gcr.io/YOUR_PROJECT/albert-keras-gpu:latest .
ARG CUDA_IMAGE=nvidia/cuda:12.3.2-base-ubuntu22.04
FROM ${CUDA_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.10 python3.10-venv python3-pip ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && python3.10 -m pip install --no-cache-dir uv==0.13.9
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
COPY albert_keras ./albert_keras
COPY pipeline ./pipeline
COPY serving ./serving
COPY docker/install.sh docker/smoke_check.py ./docker/
RUN UV_COMPILE_BYTECODE=1 PYTHON=python3.10 bash docker/install.sh /src /opt/venv --gpu && uv cache clean
# TF 2.16 does not find the pip CUDA libraries by itself (tensorflow/tensorflow#63362, #65842):
# name their dirs, and give XLA (jit_compile) ptxas and libdevice from nvidia-cuda-nvcc-cu12.
ARG NV=/opt/venv/lib/python3.10/site-packages/nvidia
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:${NV}/cuda_nvcc/bin:$PATH \
    LD_LIBRARY_PATH=${NV}/cublas/lib:${NV}/cuda_cupti/lib:${NV}/cuda_nvrtc/lib:${NV}/cuda_runtime/lib:${NV}/cudnn/lib:${NV}/cufft/lib:${NV}/curand/lib:${NV}/cusolver/lib:${NV}/cusparse/lib:${NV}/nccl/lib:${NV}/nvjitlink/lib \
    XLA_FLAGS=--xla_gpu_cuda_data_dir=${NV}/cuda_nvcc
# The build has no GPU: the check runs on the CPU (the GPU itself: docs/production.md, step 4).
RUN cd / && python /src/docker/smoke_check.py /tmp/smoke && rm -rf /tmp/smoke /src
WORKDIR /
