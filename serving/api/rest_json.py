"""TF Serving's REST JSON formats for Predict.

Requests are either row format (`"instances": [...]`) or columnar
(`"inputs": ...`); binary strings may be sent as `{"b64": "..."}`. Row
requests get `"predictions"` (a list per row: bare values for a single
output, else objects); columnar requests get `"outputs"` (bare value for a
single output, else an object).
"""

import base64
import binascii
from typing import Any

import numpy as np
import tensorflow as tf

from serving.errors import invalid


def decode_request(body: Any, signature: Any) -> tuple[dict[str, np.ndarray], bool]:
    """Returns (inputs dict of numpy arrays, is_row_format) for a predict body.

    Args:
        body: the parsed JSON object.
        signature: the `Signature` it targets (gives names and dtypes).

    Raises:
        ServingError: INVALID_ARGUMENT for a malformed body.
    """
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object")
    has_rows, has_cols = "instances" in body, "inputs" in body
    if has_rows == has_cols:
        raise invalid("the request body needs exactly one of 'instances' or 'inputs'")
    names = [k for k in signature.inputs if k not in _omittable(signature)] or list(
        signature.inputs
    )
    if has_rows:
        rows = body["instances"]
        if not isinstance(rows, list):
            raise invalid("'instances' must be a list")
        if rows and all(isinstance(r, dict) and not _is_b64(r) for r in rows):
            keys = set(rows[0])
            if any(set(r) != keys for r in rows):
                raise invalid("every instance must name the same inputs")
            columns = {k: [r[k] for r in rows] for k in keys}
        else:
            columns = {_single_name(names, signature): rows}
    else:
        columns = body["inputs"]
        if not isinstance(columns, dict) or _is_b64(columns):
            columns = {_single_name(names, signature): columns}
    inputs = {}
    for key, value in columns.items():
        spec = signature.inputs.get(key)
        if spec is None:  # let the signature report extra inputs with the full list
            inputs[key] = np.asarray([])
            continue
        inputs[key] = to_array(value, spec.dtype, key)
    return inputs, has_rows


def encode_response(outputs: dict[str, np.ndarray], row_format: bool) -> dict[str, Any]:
    """Returns the JSON-ready response for a dict of numpy outputs."""
    if row_format:
        columns = {k: to_json(v) for k, v in outputs.items()}
        sizes = {len(v) if isinstance(v, list) else None for v in columns.values()}
        if len(sizes) != 1 or None in sizes:
            raise invalid(
                "outputs do not share dimension 0, so they cannot be returned as rows; "
                "send the request in columnar format ('inputs')"
            )
        (count,) = sizes
        if len(columns) == 1:
            return {"predictions": next(iter(columns.values()))}
        return {"predictions": [{k: v[i] for k, v in columns.items()} for i in range(count)]}
    if len(outputs) == 1:
        return {"outputs": to_json(next(iter(outputs.values())))}
    return {"outputs": {k: to_json(v) for k, v in outputs.items()}}


def to_array(value: Any, dtype: tf.DType, name: str) -> np.ndarray:
    """Converts nested JSON lists to a numpy array of `dtype` (`tf.DType`).

    Raises:
        ServingError: INVALID_ARGUMENT for ragged lists or values of the wrong type.
    """
    shape = _shape(value, name)
    flat = []
    _flatten(value, flat)
    if dtype == tf.string:
        items = [_to_bytes(v, name) for v in flat]
        array = np.empty(len(items), dtype=object)
        array[:] = items
        return array.reshape(shape)
    check = _leaf_check(dtype)
    for item in flat:
        if not check(item):
            raise invalid(f"input {name!r} must hold {dtype.name} values, got {item!r}")
    try:
        return np.asarray(flat, dtype=dtype.as_numpy_dtype).reshape(shape)
    except (ValueError, OverflowError, TypeError) as err:
        raise invalid(f"input {name!r} does not fit {dtype.name}: {err}") from err


def to_json(array: np.ndarray) -> Any:
    """Converts a numpy array to nested lists; bytes become UTF-8 strings (else {"b64"})."""
    if array.dtype == object or array.dtype.kind == "S":
        return _strings_to_json(array)
    return array.tolist()


def _strings_to_json(value):
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list):
        return [_strings_to_json(v) for v in value]
    return _bytes_to_json(value)


def _bytes_to_json(value):
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(value).decode("ascii")}


def _omittable(signature):
    return set(signature.defaults) | signature.optional_inputs


def _single_name(names, signature):
    if len(names) != 1:
        raise invalid(
            f"signature {signature.name!r} takes inputs {sorted(signature.inputs)}; "
            "name them (instances of objects, or an 'inputs' object)"
        )
    return names[0]


def _is_b64(value):
    return isinstance(value, dict) and set(value) == {"b64"}


def _shape(value, name):
    if isinstance(value, list):
        if not value:
            return (0,)
        inner = [_shape(v, name) for v in value]
        if any(s != inner[0] for s in inner):
            raise invalid(f"input {name!r} is a ragged list")
        return (len(value),) + inner[0]
    return ()


def _flatten(value, out):
    if isinstance(value, list):
        for v in value:
            _flatten(v, out)
    else:
        out.append(value)


def _to_bytes(value, name):
    if isinstance(value, str):
        return value.encode("utf-8")
    if _is_b64(value):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, TypeError) as err:
            raise invalid(f"input {name!r} has bad base64: {err}") from err
    raise invalid(f"input {name!r} must hold strings, got {value!r}")


def _leaf_check(dtype):
    if dtype == tf.bool:
        return lambda v: isinstance(v, bool)
    if dtype.is_integer:
        return lambda v: isinstance(v, int) and not isinstance(v, bool)
    if dtype.is_floating:
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    return lambda v: True
