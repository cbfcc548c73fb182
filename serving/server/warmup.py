"""Replays `assets.extra/tf_serving_warmup_requests` before a version goes live."""

import logging
import os

import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from serving.server.classify import classify
from serving.server.regress import regress
from serving.server.servable import Servable
from serving.tensors import from_proto

log = logging.getLogger(__name__)

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def replay_warmup(servable: Servable) -> int:
    """Runs every warmup record of `servable` once (like TF Serving).

    Predict, Classify and Regress records are replayed; other kinds are logged and
    skipped.

    Returns:
        the number of records replayed.

    Raises:
        Exception: whatever a record raised; the version must not go live.
    """
    path = os.path.join(servable.path, WARMUP_FILE)
    if not os.path.exists(path):
        return 0
    count = 0
    for record in tf.data.TFRecordDataset(path):
        entry = prediction_log_pb2.PredictionLog.FromString(record.numpy())
        kind = entry.WhichOneof("log_type")
        if kind == "predict_log":
            request = entry.predict_log.request
            inputs = {k: from_proto(v) for k, v in request.inputs.items()}
            servable.predict(request.model_spec.signature_name, inputs, batching=False)
        elif kind == "classify_log":
            request = entry.classify_log.request
            classify(servable, request.model_spec.signature_name, request.input, batching=False)
        elif kind == "regress_log":
            request = entry.regress_log.request
            regress(servable, request.model_spec.signature_name, request.input, batching=False)
        else:
            log.warning("%s: skipping warmup record of kind %s", path, kind)
            continue
        count += 1
    return count
