"""Tiny SavedModels with the exporter's signatures, for the serving tests.

Every output depends on the version number so tests can tell versions
apart; `stats` also reports the batch size the model saw (to check dynamic
batching). Version dirs get a warmup file like the exporter writes.
"""

import os
import shutil
import threading

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

from tests.serving_launcher import REPO, ServerProcess, free_port  # noqa: F401  (re-exported)

TEXT = tf.TensorSpec([None], tf.string, name="text")
TEXT_B = tf.TensorSpec([None], tf.string, name="text_b")
EXAMPLES = tf.TensorSpec([None], tf.string, name="examples")
TOP_K = 3


class FakeAlbert(tf.Module):
    """Deterministic stand-in for the exported ALBERT model."""

    def __init__(self, version):
        super().__init__()
        self.version = tf.constant(version, tf.int32)
        self.scale = tf.Variable(float(version))

    @tf.function(input_signature=[TEXT, TEXT_B])
    def fill_mask(self, text, text_b):
        batch = tf.shape(text)[0]
        length = tf.strings.length(text, unit="UTF8_CHAR")
        k = tf.range(TOP_K, dtype=tf.int32)
        ids = self.version * 100 + tf.tile(k[None, None, :], [batch, 1, 1])
        tokens = tf.strings.join(
            ["v", tf.strings.as_string(self.version), "_tok", tf.strings.as_string(ids % 100)]
        )
        scores = tf.tile(
            tf.constant([[[0.6, 0.3, 0.1]]], tf.float32), [batch, 1, 1]
        ) * (self.scale / self.scale)
        return {
            "top_k_ids": ids,
            "top_k_tokens": tokens,
            "top_k_scores": scores,
            "mask_positions": length[:, None],
        }

    @tf.function(input_signature=[TEXT, TEXT_B])
    def embed(self, text, text_b):
        a = tf.cast(tf.strings.length(text, unit="UTF8_CHAR"), tf.float32)
        b = tf.cast(tf.strings.length(text_b, unit="UTF8_CHAR"), tf.float32)
        v = tf.fill(tf.shape(a), self.scale)
        pooled = tf.stack([v, a, b, a + b], axis=1)
        return {"pooled_output": pooled, "mean_embedding": pooled / 2.0}

    @tf.function(input_signature=[TEXT, TEXT_B])
    def classify(self, text, text_b):
        return self._classify(text)

    @tf.function(input_signature=[EXAMPLES])
    def serving_default(self, examples):
        parsed = tf.io.parse_example(
            examples, {"text": tf.io.FixedLenFeature([], tf.string, default_value="")}
        )
        out = self._classify(parsed["text"])
        batch = tf.shape(examples)[0]
        classes = tf.tile(tf.constant([["negative", "positive"]]), [batch, 1])
        return {"scores": out["probabilities"], "classes": classes}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="inputs")])
    def regress(self, inputs):
        parsed = tf.io.parse_example(
            inputs, {"text": tf.io.FixedLenFeature([], tf.string, default_value="")}
        )
        length = tf.cast(tf.strings.length(parsed["text"], unit="UTF8_CHAR"), tf.float32)
        return {"outputs": length * self.scale}

    @tf.function(input_signature=[TEXT])
    def stats(self, text):
        batch = tf.shape(text)[0]
        return {
            "length": tf.strings.length(text, unit="UTF8_CHAR"),
            "batch_size": tf.fill([batch], batch),
            "version": tf.fill([batch], self.version),
            "upper": tf.strings.upper(text),
        }

    def _classify(self, text):
        length = tf.strings.length(text, unit="UTF8_CHAR")
        positive = tf.cast(length % 2, tf.int64)
        p = tf.where(positive == 1, 0.9, 0.2)
        probabilities = tf.stack([1.0 - p, p], axis=1)
        labels = tf.gather(tf.constant(["negative", "positive"]), positive)
        return {"probabilities": probabilities, "class_ids": positive, "class_labels": labels}


def warmup_log(signature="fill_mask", texts=("warm [MASK] up",), text_b=True):
    """Returns a PredictionLog with one Predict request (with `text_b` "" unless told not to:
    TF Serving wants every input of a pair signature)."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "albert"
    request.model_spec.signature_name = signature
    request.inputs["text"].CopyFrom(tf.make_tensor_proto(list(texts), dtype=tf.string))
    if text_b:
        request.inputs["text_b"].CopyFrom(tf.make_tensor_proto([""] * len(texts), dtype=tf.string))
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
    )


def save_fake_model(path, version, warmup=None):
    """Writes a FakeAlbert SavedModel with a warmup file to `path`.

    Args:
        path: the version directory to create.
        version: the version number the outputs carry.
        warmup: list of PredictionLog protos (default: one fill_mask request).
    """
    module = FakeAlbert(version)
    signatures = {
        name: getattr(module, name).get_concrete_function()
        for name in ("fill_mask", "embed", "classify", "serving_default", "regress", "stats")
    }
    tf.saved_model.save(module, path, signatures=signatures)
    _edit_signatures(path, _mark_classify)
    _edit_signatures(path, _default_text_b)
    extra = os.path.join(path, "assets.extra")
    os.makedirs(extra, exist_ok=True)
    with tf.io.TFRecordWriter(os.path.join(extra, "tf_serving_warmup_requests")) as writer:
        for entry in warmup if warmup is not None else [warmup_log()]:
            writer.write(entry.SerializeToString())
    return path


DEFAULTED_SIGNATURE = "embed"
"""The signature whose `text_b` has a SignatureDef default ([""]), for the rules of
TF Serving 2.14+ (defaults honoured) and 2.12 (ignored)."""


def _mark_classify(signature_defs):
    """Marks serving_default as Classify, as the exporter does (TF 2 saves all as Predict)."""
    signature_defs["serving_default"].method_name = "tensorflow/serving/classify"


def _default_text_b(signature_defs):
    defaults = signature_defs[DEFAULTED_SIGNATURE].defaults
    defaults["text_b"].CopyFrom(tf.make_tensor_proto([""], dtype=tf.string))


def _edit_signatures(path, edit):
    """Applies `edit` to the SignatureDef map of `path/saved_model.pb` and writes it back."""
    pb = os.path.join(path, "saved_model.pb")
    saved_model = saved_model_pb2.SavedModel()
    with open(pb, "rb") as f:
        saved_model.ParseFromString(f.read())
    for meta_graph in saved_model.meta_graphs:
        edit(meta_graph.signature_def)
    with open(pb, "wb") as f:
        f.write(saved_model.SerializeToString())


def copy_version(src, dst):
    """Copies a version dir like the TFX Pusher: saved_model.pb last."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("saved_model.pb"))
    shutil.copy2(os.path.join(src, "saved_model.pb"), os.path.join(dst, "saved_model.pb.tmp"))
    os.replace(os.path.join(dst, "saved_model.pb.tmp"), os.path.join(dst, "saved_model.pb"))


def run_concurrently(batcher, requests, timeout_s=60):
    """Sends every request in `requests` (dicts of inputs) through `batcher.run`, each from
    its own thread at once, then stops the batcher; returns the answers in request order.

    Raises:
        AssertionError: if a request failed or did not finish within `timeout_s`.
    """
    out, errors, barrier = [None] * len(requests), [], threading.Barrier(len(requests))

    def call(i):
        barrier.wait()
        try:
            out[i] = batcher.run(requests[i])
        except Exception as err:  # re-raised below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=call, args=(i,), daemon=True) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s)
    batcher.stop()
    assert not errors, errors
    assert not any(t.is_alive() for t in threads), f"requests still waiting after {timeout_s} s"
    return out

MODELS_CONFIG = """
model_config_list {
  config {
    name: "albert"
    base_path: "%(root)s/albert"
    model_platform: "tensorflow"
    model_version_policy { specific { versions: 1 versions: 2 } }
    version_labels { key: "stable" value: 1 }
    version_labels { key: "canary" value: 2 }
  }
  config {
    name: "swap"
    base_path: "%(root)s/swap"
    model_platform: "tensorflow"
  }
}
"""

MAX_BATCH_SIZE = 16
_SHARED = {}


class SharedServer:
    """The one test server: model `albert` (v1 + v2, labels stable/canary) and
    model `swap` (latest policy; starts with v1, tests push more).

    The server process starts first (it spends tens of seconds importing
    TensorFlow) and waits for the models, which `build()` writes meanwhile.

    Attributes:
        proc: the `ServerProcess`.
        root: directory holding the base paths.
        sources: {"v2": dir, "bad_warmup": dir} of built versions not yet pushed.
    """

    def __init__(self, root):
        self.root = str(root)
        self.sources = {}
        for name in ("albert", "swap"):
            os.makedirs(os.path.join(self.root, name))
        config = os.path.join(self.root, "models.config")
        with open(config, "w") as f:
            f.write(MODELS_CONFIG % {"root": self.root})
        self.proc = ServerProcess(
            ["--model-config-file", config, "--poll-seconds", "0.2", "--wait-for-models", "300",
             "--max-batch-size", str(MAX_BATCH_SIZE), "--batch-timeout-ms", "20",
             "--max-request-batch", "1024", "--preload", ""],
            self.root,
        )

    def build(self):
        """Builds the fake versions and pushes albert/1, albert/2 and swap/1."""
        built = os.path.join(self.root, "built")
        v1 = save_fake_model(os.path.join(built, "v1"), 1)
        v2 = save_fake_model(os.path.join(built, "v2"), 2)
        bad = save_fake_model(os.path.join(built, "bad_warmup"), 4,
                              warmup=[warmup_log(signature="no_such_signature")])
        for version, src in ((1, v1), (2, v2)):
            copy_version(src, os.path.join(self.root, "albert", str(version)))
        copy_version(v1, os.path.join(self.root, "swap", "1"))
        self.sources = {"v2": v2, "bad_warmup": bad}


def shared_server(request, tmp_path_factory, on_start=None):
    """Returns the session's `SharedServer`, starting it on first use.

    It is stopped (SIGTERM, then SIGKILL) when the pytest run ends, pass or fail.

    Args:
        on_start: called with the `SharedServer` after its process starts and
            before it is ready, when this call starts it (to overlap slow work).
    """
    if "server" not in _SHARED:
        shared = SharedServer(tmp_path_factory.mktemp("serving"))
        request.config.add_cleanup(shared.proc.stop)
        if on_start is not None:
            on_start(shared)
        shared.build()
        shared.proc.wait_ready()
        _SHARED["server"] = shared
    return _SHARED["server"]
