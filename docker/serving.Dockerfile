# syntax=docker/dockerfile:1
# The serving image: stock TF Serving 2.16.1 (its TF Text ops included) with
# serving/configs/models.config and batching.config at /config. The model is
# mounted at /models/albert (serving/k8s/albert-serving.yaml, docker-compose)
# or baked in (target serving-with-model). Build from the repository root:
#   docker build -f docker/serving.Dockerfile --target serving -t gcr.io/YOUR_PROJECT/albert-serving:latest .
#   docker build -f docker/serving.Dockerfile --target serving-with-model \
#       --build-context model=/path/to/pushed/albert -t gcr.io/YOUR_PROJECT/albert-serving:model .
# (the model dir is the Pusher's destination: numbered version dirs).
ARG SERVING_IMAGE=tensorflow/serving:2.16.1
FROM ${SERVING_IMAGE} AS serving
COPY serving/configs/models.config serving/configs/batching.config /config/
EXPOSE 8500 8501
ENTRYPOINT ["/usr/bin/tensorflow_model_server"]
CMD ["--port=8500", "--rest_api_port=8501", "--model_config_file=/config/models.config", \
     "--model_config_file_poll_wait_seconds=60", "--file_system_poll_wait_seconds=5", \
     "--allow_version_labels_for_unavailable_models=true", \
     "--enable_batching=true", "--batching_parameters_file=/config/batching.config", "--enable_model_warmup=true"]

FROM serving AS serving-with-model
COPY --from=model . /models/albert/
