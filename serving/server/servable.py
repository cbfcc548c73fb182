"""One loaded version of a model: its signatures, metadata and batchers."""

import logging
import os
from collections.abc import Sequence

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2
from tensorflow_serving.apis import get_model_metadata_pb2

from serving.errors import ServingError, invalid
from serving.server.args import DEFAULTS_SINCE, OLDEST_VERSION
from serving.server.batching import DEFAULT_LENGTH_BUCKETS, Batcher, check_length_buckets
from serving.server.signature import Signature

log = logging.getLogger(__name__)

SERVE_TAG = "serve"


class Servable:
    """A SavedModel version ready to answer requests.

    Args:
        name: model name.
        version: integer version.
        path: the version directory.
        options: `ServableOptions`.
    """

    def __init__(self, name: str, version: int, path: str, options: "ServableOptions") -> None:
        self.name = name
        self.version = version
        self.path = path
        self.options = options
        signature_defs = read_signature_defs(path)
        self._model = tf.saved_model.load(path, tags=[SERVE_TAG])
        loaded = self._model.signatures
        self.signatures = {}
        for key, signature_def in signature_defs.items():
            if key.startswith("__") or key not in loaded:
                continue
            self.signatures[key] = Signature(key, signature_def, loaded[key])
        self.signature_def_map = get_model_metadata_pb2.SignatureDefMap()
        for key, signature in self.signatures.items():
            self.signature_def_map.signature_def[key].CopyFrom(signature.signature_def)
        self._batchers = {}
        if options.max_batch_size > 1:
            for key, signature in self.signatures.items():
                self._batchers[key] = Batcher(
                    signature.run,
                    options.max_batch_size,
                    options.batch_timeout_ms / 1000.0,
                    name=f"{name}-v{version}-{key}",
                    length_buckets=options.batch_length_buckets,
                )

    def signature(self, key: str, api: str = "predict") -> Signature:
        """Returns the `Signature` called `key` ("" means serving_default).

        Args:
            key: the request's signature name.
            api: who asks, for TF Serving's status of an unknown name: "predict"
                (gRPC Predict: FAILED_PRECONDITION, `predict_util.cc` `RunPredict`),
                "rest" (REST predict: INVALID_ARGUMENT, `http_rest_api_handler.cc`
                `GetInfoMap`) or "examples" (Classify / Regress: INVALID_ARGUMENT,
                `classifier.cc` / `regressor.cc`).

        Raises:
            ServingError: FAILED_PRECONDITION or INVALID_ARGUMENT if there is none.
        """
        name = key or "serving_default"
        signature = self.signatures.get(name)
        if signature is not None:
            return signature
        if api == "predict":
            raise ServingError(
                grpc.StatusCode.FAILED_PRECONDITION, f'Serving signature key "{name}" not found.'
            )
        if api == "rest":
            raise invalid(f'Serving signature name: "{name}" not found in signature def')
        raise invalid(f"No signature was found with the name: {name}")

    def predict(self, key: str, inputs: dict[str, np.ndarray], batching: bool = True) -> dict[str, np.ndarray]:
        """Checks and runs one request on signature `key`.

        Args:
            key: signature name ("" means serving_default).
            inputs: dict of input name to numpy array.
            batching: False to bypass dynamic batching (warmup).

        Returns:
            dict of output name to numpy array.
        """
        signature = self.signature(key)
        prepared = signature.prepare(
            inputs,
            self.options.max_request_batch,
            honour_defaults=self.options.honours_defaults,
            batched=signature.name in self._batchers,
        )
        batcher = self._batchers.get(signature.name) if batching else None
        if batcher is not None:
            return batcher.run(prepared)
        return signature.run(prepared)

    def close(self) -> None:
        """Stops the batchers and drops the model (in-flight calls still finish)."""
        for batcher in self._batchers.values():
            batcher.stop()
        self._batchers = {}


class ServableOptions:
    """Runtime options shared by every servable.

    Attributes:
        max_batch_size: dynamic batching limit (<= 1 disables batching).
        batch_timeout_ms: how long a batch waits to fill.
        batch_length_buckets: byte bounds of the batching length groups
            (`serving.server.batching.Batcher`'s `length_buckets`; () = one group).
        max_request_batch: largest dimension 0 one request may send.
        emulate_version: (major, minor) of the TF Serving release whose Predict
            rules apply (see `honours_defaults`).
        warmup: whether to replay `assets.extra/tf_serving_warmup_requests`.
    """

    def __init__(
        self,
        max_batch_size: int = 0,
        batch_timeout_ms: float = 5.0,
        batch_length_buckets: Sequence[int] | None = DEFAULT_LENGTH_BUCKETS,
        max_request_batch: int = 1024,
        emulate_version: tuple[int, int] = OLDEST_VERSION,
        warmup: bool = True,
    ) -> None:
        self.max_batch_size = max_batch_size
        self.batch_timeout_ms = batch_timeout_ms
        self.batch_length_buckets = check_length_buckets(batch_length_buckets)
        self.max_request_batch = max_request_batch
        self.emulate_version = tuple(emulate_version)
        self.warmup = warmup

    @property
    def honours_defaults(self) -> bool:
        """Whether a Predict request may leave out inputs that `SignatureDef.defaults` holds."""
        return self.emulate_version >= DEFAULTS_SINCE


def read_signature_defs(path: str) -> dict[str, meta_graph_pb2.SignatureDef]:
    """Returns the `SignatureDef`s of the `serve` MetaGraph in `path/saved_model.pb`.

    Raises:
        ValueError: if the file does not parse or has no `serve` MetaGraph.
    """
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved_model = saved_model_pb2.SavedModel.FromString(f.read())
    for meta_graph in saved_model.meta_graphs:
        if SERVE_TAG in meta_graph.meta_info_def.tags:
            return dict(meta_graph.signature_def)
    raise ValueError(f"{path}/saved_model.pb has no MetaGraph tagged {SERVE_TAG!r}")
