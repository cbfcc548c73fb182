"""`assets.extra/tf_serving_warmup_requests`: one request per signature.

TF Serving (and `serving/`) replays these records before a version goes
live, so the first real request does not pay for graph initialization.
The file is a TFRecord of `PredictionLog` protos: a `PredictLog` for every
signature, plus a `ClassifyLog` (classifiers) or `RegressLog` (regressors)
on `serving_default`.
"""

import os
from collections.abc import Iterable, Mapping

import tensorflow as tf
from tensorflow_serving.apis import (
    classification_pb2,
    predict_pb2,
    prediction_log_pb2,
    regression_pb2,
)

import albert_keras.export.module as m
from albert_keras import features

WARMUP_DIR = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"

# Sample inputs: English with a mask, Chinese with a mask, empty, and a pair.
SAMPLE_TEXT = ["The capital of France is [MASK].", "猫是[MASK]。", "", "Paris is a [MASK] city."]
SAMPLE_TEXT_B = ["", "", "", "It is the capital of France."]
SAMPLE_QUESTION = ["What is the capital of France?", "中国的首都是哪里？", "", "Who wrote it?"]
SAMPLE_CONTEXT = ["Paris is the capital of France.", "北京是中国的首都。", "", ""]
SAMPLE_CHOICES = [["Paris", "Lyon"], ["北京", "上海"], ["", ""], ["yes", ""]]
SAMPLES = {
    features.TEXT: SAMPLE_TEXT,
    features.TEXT_B: SAMPLE_TEXT_B,
    m.QUESTION: SAMPLE_QUESTION,
    m.CONTEXT: SAMPLE_CONTEXT,
    m.CHOICES: SAMPLE_CHOICES,
}


def sample_examples(text: list[str] = SAMPLE_TEXT, text_b: list[str] = SAMPLE_TEXT_B) -> list[tf.train.Example]:
    """`tf.train.Example`s with `text` (and `text_b` where not empty)."""
    examples = []
    for a, b in zip(text, text_b, strict=False):
        feature = {features.TEXT: tf.train.Feature(bytes_list=tf.train.BytesList(value=[a.encode("utf-8")]))}
        if b:
            feature[features.TEXT_B] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[b.encode("utf-8")]))
        examples.append(tf.train.Example(features=tf.train.Features(feature=feature)))
    return examples


def warmup_logs(
    signature_inputs: Mapping[str, Iterable[str]], serving_default_method: str, model_name: str = "albert"
) -> list[prediction_log_pb2.PredictionLog]:
    """The `PredictionLog`s to write, one PredictLog per signature (sorted by name) first.

    Args:
        signature_inputs: each signature's input names
            (`AlbertServingModule.signature_inputs()`); each request sends
            exactly those inputs, with the `SAMPLES` of that name.
        serving_default_method: serving_default's method name.
        model_name: the `model_spec.name` of the requests.
    """
    logs = []
    serialized = [e.SerializeToString() for e in sample_examples()]
    for name in sorted(signature_inputs):
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model_name
        request.model_spec.signature_name = name
        for key in signature_inputs[name]:
            if key == m.EXAMPLES_KEY:
                request.inputs[key].CopyFrom(tf.make_tensor_proto(serialized, dtype=tf.string))
            elif key in SAMPLES:
                request.inputs[key].CopyFrom(tf.make_tensor_proto(SAMPLES[key], dtype=tf.string))
            else:
                raise ValueError(f"No warmup sample for input `{key}` of signature `{name}`.")
        logs.append(prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request)))
    if serving_default_method == m.CLASSIFY_METHOD:
        request = classification_pb2.ClassificationRequest()
        request.model_spec.name = model_name
        request.model_spec.signature_name = m.SERVING_DEFAULT
        request.input.example_list.examples.extend(sample_examples())
        logs.append(prediction_log_pb2.PredictionLog(classify_log=prediction_log_pb2.ClassifyLog(request=request)))
    elif serving_default_method == m.REGRESS_METHOD:
        request = regression_pb2.RegressionRequest()
        request.model_spec.name = model_name
        request.model_spec.signature_name = m.SERVING_DEFAULT
        request.input.example_list.examples.extend(sample_examples())
        logs.append(prediction_log_pb2.PredictionLog(regress_log=prediction_log_pb2.RegressLog(request=request)))
    return logs


def write_warmup(
    saved_model_dir: str,
    signature_inputs: Mapping[str, Iterable[str]],
    serving_default_method: str,
    model_name: str = "albert",
) -> str:
    """Writes `saved_model_dir/assets.extra/tf_serving_warmup_requests`; returns its path."""
    directory = os.path.join(saved_model_dir, WARMUP_DIR)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, WARMUP_FILE)
    with tf.io.TFRecordWriter(path) as writer:
        for log in warmup_logs(signature_inputs, serving_default_method, model_name):
            writer.write(log.SerializeToString())
    return path


def read_warmup(saved_model_dir: str) -> list[prediction_log_pb2.PredictionLog]:
    """The `PredictionLog`s of a SavedModel's warmup file (a list)."""
    path = os.path.join(saved_model_dir, WARMUP_DIR, WARMUP_FILE)
    return [
        prediction_log_pb2.PredictionLog.FromString(record.numpy()) for record in tf.data.TFRecordDataset(path)
    ]
