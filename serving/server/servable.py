"""One loaded version of a model: its signatures, metadata and batchers."""

import logging
import os
from collections.abc import Iterable

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2
from tensorflow_serving.apis import get_model_metadata_pb2

from serving.errors import invalid
from serving.server.batching import Batcher
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
            self.signatures[key] = Signature(
                key, signature_def, loaded[key], options.optional_inputs
            )
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
                )

    def signature(self, key: str) -> Signature:
        """Returns the `Signature` called `key`.

        Raises:
            ServingError: INVALID_ARGUMENT if there is none.
        """
        signature = self.signatures.get(key or "serving_default")
        if signature is None:
            raise invalid(
                f"model {self.name!r} version {self.version} has no signature "
                f"{key or 'serving_default'!r}; it has {sorted(self.signatures)}"
            )
        return signature

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
        prepared = signature.prepare(inputs, self.options.max_request_batch)
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
        max_request_batch: largest dimension 0 one request may send.
        optional_inputs: string inputs filled with "" when a request omits them.
        warmup: whether to replay `assets.extra/tf_serving_warmup_requests`.
    """

    def __init__(
        self,
        max_batch_size: int = 0,
        batch_timeout_ms: float = 5.0,
        max_request_batch: int = 1024,
        optional_inputs: Iterable[str] = ("text_b",),
        warmup: bool = True,
    ) -> None:
        self.max_batch_size = max_batch_size
        self.batch_timeout_ms = batch_timeout_ms
        self.max_request_batch = max_request_batch
        self.optional_inputs = tuple(optional_inputs)
        self.warmup = warmup


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
