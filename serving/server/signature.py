"""One signature of a loaded SavedModel: its specs, input checks and a call."""

import logging
from collections.abc import Callable
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
    """

    def __init__(
        self,
        name: str,
        signature_def: meta_graph_pb2.SignatureDef,
        function: Callable[..., dict[str, tf.Tensor]],
    ) -> None:
        self.name = name
        self.signature_def = signature_def
        self.function = function
        self.method_name = signature_def.method_name
        self.inputs = {k: TensorSpec(v) for k, v in signature_def.inputs.items()}
        self.outputs = {k: TensorSpec(v) for k, v in signature_def.outputs.items()}
        self.defaults = {k: tf.make_ndarray(v) for k, v in signature_def.defaults.items()}

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

    def prepare(
        self,
        inputs: dict[str, np.ndarray],
        max_batch: int,
        honour_defaults: bool = False,
        batched: bool = False,
    ) -> dict[str, np.ndarray]:
        """Checks a request's inputs as TF Serving's Predict does and fills defaults.

        The checks, in TF Serving's order: the number and names of the inputs
        (`predict_util.cc` `VerifyRequestInputsSize`, then before 2.14 the alias
        loop of `PreProcessPrediction`, from 2.14 `saved_model::GetInputValues`,
        which takes a left-out input from `SignatureDef.defaults`); under
        dynamic batching, rank >= 1 and one dimension 0 for every input
        (`batching_util.h` `ComputeTensorBatchSize`); then each input's dtype
        and shape, as the TensorFlow runtime checks a fed argument.

        Args:
            inputs: dict of input name to numpy array, shapes `[B, ...]`.
            max_batch: largest allowed size of dimension 0 (a stand-in limit).
            honour_defaults: fill left-out inputs from `SignatureDef.defaults`
                (TF Serving 2.14 and later).
            batched: the signature runs through dynamic batching.

        Returns:
            dict of every signature input name to a numpy array, ready for `run`.

        Raises:
            ServingError: INVALID_ARGUMENT with TF Serving's reason.
        """
        self._check_names(inputs, honour_defaults)
        prepared = {k: inputs.get(k, self.defaults.get(k)) for k in self.inputs}
        if batched:
            _check_batchable(prepared)
        for index, key in enumerate(sorted(self.inputs)):
            value, spec = prepared[key], self.inputs[key]
            _check_dtype(index, value, spec)
            _check_shape(key, value, spec)
            if value.ndim >= 1 and value.shape[0] > max_batch:
                raise invalid(
                    f"input {key!r} has batch size {value.shape[0]}, over the limit {max_batch} "
                    "(`albert serve --max-request-batch`)"
                )
        return prepared

    def _check_names(self, inputs, honour_defaults):
        sent, wanted = set(inputs), set(self.inputs)
        defaults = self.defaults if honour_defaults else {}
        if len(sent) > len(wanted) or (len(sent) < len(wanted) and not defaults):
            raise invalid(
                f"input size does not match signature: {len(sent)}!={len(wanted)} "
                f"len({_braces(sent)}) != len({_braces(wanted)}). "
                f"Sent extra: {_braces(sent - wanted)}. "
                f"Missing but required: {_braces(wanted - sent)}."
            )
        if not honour_defaults:
            for key in sorted(sent - wanted):
                raise invalid(
                    f"input tensor alias not found in signature: {key}. "
                    f"Inputs expected to be in the set {_braces(wanted)}."
                )
            return
        for key in sorted(wanted - sent):
            if key not in defaults:
                raise invalid(
                    f"Signature input alias: {key}(feed name: {self.signature_def.inputs[key].name}) "
                    "not found in request and no default value "
                    f"provided. Inputs expected to be in the request {_braces(sent)}, "
                    f"or default input alias set: {_braces(defaults)}"
                )
        if sent and not sent <= wanted:
            raise invalid(
                f"Inputs contains invalid name. Used request inputs: "
                f"{','.join(sorted(sent & wanted))}, request input: {','.join(sorted(sent))}"
            )

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


def _braces(names):
    return "{" + ",".join(sorted(names)) + "}"


def _check_batchable(inputs):
    sizes = set()
    for value in inputs.values():
        if value.ndim == 0:
            raise invalid("Batching Run() input tensors must have at least one dimension")
        sizes.add(value.shape[0])
    if len(sizes) > 1:
        raise invalid("Batching Run() input tensors must have equal 0th-dimension size")


def _check_dtype(index, value, spec):
    got = _dtype_of(value)
    if got != spec.dtype:
        raise invalid(
            f"Expects arg[{index}] to be {spec.dtype.name} but {got.name} is provided"
        )


def _dtype_of(value):
    if value.dtype == object or value.dtype.kind in "SU":
        return tf.string
    try:
        return tf.dtypes.as_dtype(value.dtype)
    except TypeError:
        return tf.variant


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


def _short(err):
    text = str(err).strip().splitlines()
    return text[0][:500] if text else type(err).__name__

