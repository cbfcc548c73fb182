"""One signature of a loaded SavedModel: its specs, input checks and a call."""

import logging
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2

from serving.errors import invalid

log = logging.getLogger(__name__)

CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
EXAMPLE_INPUT_NAMES = ("examples", "inputs")


class TensorSpec:
    """Dtype and shape of one signature input or output.

    Attributes:
        dtype: `tf.DType`.
        shape: list of ints (-1 unknown), or None for unknown rank.
    """

    def __init__(self, tensor_info: meta_graph_pb2.TensorInfo) -> None:
        self.dtype = tf.dtypes.as_dtype(tensor_info.dtype)
        shape = tensor_info.tensor_shape
        self.shape = None if shape.unknown_rank else [d.size for d in shape.dim]

    def describe(self) -> dict[str, Any]:
        """Returns `{"dtype": ..., "shape": ...}` for printing."""
        return {"dtype": self.dtype.name, "shape": self.shape}


class Signature:
    """A callable signature with the checks TF Serving applies to Predict.

    Args:
        name: signature key.
        signature_def: its `SignatureDef` proto.
        function: the loaded concrete function (called with keyword tensors).
        optional_inputs: input names filled with empty strings when missing.
    """

    def __init__(
        self,
        name: str,
        signature_def: meta_graph_pb2.SignatureDef,
        function: Callable[..., dict[str, tf.Tensor]],
        optional_inputs: Iterable[str] = (),
    ) -> None:
        self.name = name
        self.signature_def = signature_def
        self.function = function
        self.method_name = signature_def.method_name
        self.inputs = {k: TensorSpec(v) for k, v in signature_def.inputs.items()}
        self.outputs = {k: TensorSpec(v) for k, v in signature_def.outputs.items()}
        self.defaults = {k: tf.make_ndarray(v) for k, v in signature_def.defaults.items()}
        self.optional_inputs = {
            k for k in optional_inputs if k in self.inputs and self.inputs[k].dtype == tf.string
        }

    @property
    def takes_examples(self) -> bool:
        """True when the signature parses serialized `tf.Example`s (Classify style)."""
        if self.method_name in (CLASSIFY_METHOD, REGRESS_METHOD):
            return True
        if len(self.inputs) != 1:
            return False
        (name, spec), = self.inputs.items()
        return name in EXAMPLE_INPUT_NAMES and spec.dtype == tf.string

    @property
    def classifiable(self) -> bool:
        """True when TF Serving's Classify API can run this signature."""
        return (
            len(self.inputs) == 1
            and next(iter(self.inputs.values())).dtype == tf.string
            and 1 <= len(self.outputs) <= 2
            and bool({"classes", "scores"} & set(self.outputs))
        )

    @property
    def regressable(self) -> bool:
        """True when TF Serving's Regress API can run this signature."""
        return (
            len(self.inputs) == 1
            and next(iter(self.inputs.values())).dtype == tf.string
            and set(self.outputs) == {"outputs"}
        )

    def prepare(self, inputs: dict[str, np.ndarray], max_batch: int) -> dict[str, np.ndarray]:
        """Checks a request's inputs and fills optional ones.

        Args:
            inputs: dict of input name to numpy array.
            max_batch: largest allowed size of dimension 0.

        Returns:
            dict of input name to numpy array, ready for `run`.

        Raises:
            ServingError: INVALID_ARGUMENT with the reason.
        """
        extra = sorted(set(inputs) - set(self.inputs))
        missing = sorted(
            set(self.inputs) - set(inputs) - set(self.defaults) - self.optional_inputs
        )
        if extra or missing:
            raise invalid(
                f"signature {self.name!r} takes inputs {sorted(self.inputs)}; "
                f"extra: {extra}, missing but required: {missing}"
            )
        batch = None
        for key, value in inputs.items():
            spec = self.inputs[key]
            _check_dtype(key, value, spec)
            _check_shape(key, value, spec)
            if spec.dtype == tf.string and not self.takes_examples:
                _check_utf8(key, value)
            if value.ndim >= 1:
                if value.shape[0] > max_batch:
                    raise invalid(
                        f"input {key!r} has batch size {value.shape[0]}, over the limit {max_batch}"
                    )
                if batch is not None and value.shape[0] != batch:
                    raise invalid(f"inputs disagree on batch size: {batch} vs {value.shape[0]}")
                batch = value.shape[0]
        prepared = dict(inputs)
        for key in self.inputs:
            if key in prepared:
                continue
            if key in self.defaults:
                prepared[key] = self.defaults[key]
            else:
                prepared[key] = np.array([b""] * (batch or 0), dtype=object)
        return prepared

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Calls the signature.

        Args:
            inputs: dict of input name to numpy array (from `prepare`).

        Returns:
            dict of output name to numpy array.

        Raises:
            ServingError: INVALID_ARGUMENT when TensorFlow rejects the inputs.
        """
        tensors = {k: tf.constant(v, dtype=self.inputs[k].dtype) for k, v in inputs.items()}
        try:
            outputs = self.function(**tensors)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as err:
            log.warning("signature %s rejected its inputs: %s", self.name, err)
            raise invalid(f"signature {self.name!r} failed on these inputs: {_short(err)}") from err
        return {k: v.numpy() for k, v in outputs.items()}


def _check_dtype(key, value, spec):
    if spec.dtype == tf.string:
        ok = value.dtype == object or value.dtype.kind == "S"
    else:
        ok = value.dtype != object and tf.dtypes.as_dtype(value.dtype) == spec.dtype
    if not ok:
        got = "string" if value.dtype == object else value.dtype.name
        raise invalid(f"input {key!r} must be {spec.dtype.name}, got {got}")


def _check_shape(key, value, spec):
    if spec.shape is None:
        return
    if value.ndim != len(spec.shape):
        raise invalid(
            f"input {key!r} must have rank {len(spec.shape)} (shape {spec.shape}), "
            f"got shape {list(value.shape)}"
        )
    for want, got in zip(spec.shape, value.shape, strict=False):
        if want >= 0 and want != got:
            raise invalid(f"input {key!r} must have shape {spec.shape}, got {list(value.shape)}")


def _check_utf8(key, value):
    for item in value.reshape(-1):
        if not isinstance(item, bytes):
            raise invalid(f"input {key!r} must hold strings, got {type(item).__name__}")
        try:
            item.decode("utf-8")
        except UnicodeDecodeError as err:
            raise invalid(f"input {key!r} is not valid UTF-8: {err}") from err


def _short(err):
    text = str(err).strip().splitlines()
    return text[0][:500] if text else type(err).__name__

