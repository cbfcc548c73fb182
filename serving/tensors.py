"""Conversions between numpy arrays and `TensorProto`s."""

from typing import Any

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2


def to_proto(array: Any, dtype: tf.DType | None = None) -> tensor_pb2.TensorProto:
    """Returns a `TensorProto` for a numpy array (strings as bytes).

    Args:
        array: array-like; `str` items are UTF-8 encoded.
        dtype: optional `tf.DType` to convert to.
    """
    array = to_numpy(array)
    return tf.make_tensor_proto(array, dtype=dtype)


def from_proto(proto: tensor_pb2.TensorProto) -> np.ndarray:
    """Returns the numpy array of a `TensorProto` (strings as `bytes` objects)."""
    return tf.make_ndarray(proto)


def to_numpy(value: Any) -> np.ndarray:
    """Returns `value` as a numpy array, encoding `str` items to UTF-8 bytes."""
    if isinstance(value, np.ndarray) and value.dtype != object and value.dtype.kind != "U":
        return value
    array = np.asarray(value, dtype=object if _has_text(value) else None)
    if array.dtype.kind == "U" or array.dtype == object:
        flat = [v.encode("utf-8") if isinstance(v, str) else v for v in array.reshape(-1)]
        out = np.empty(len(flat), dtype=object)
        out[:] = flat
        return out.reshape(array.shape)
    return array


def _has_text(value):
    if isinstance(value, str | bytes):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype == object or value.dtype.kind in "US"
    if isinstance(value, list | tuple):
        return any(_has_text(v) for v in value[:1])
    return False


def dtype_name(enum_value: int) -> str:
    """Returns the `tf.DType` name (`string`, `int32`, ...) of a `DataType` enum."""
    return tf.dtypes.as_dtype(enum_value).name
