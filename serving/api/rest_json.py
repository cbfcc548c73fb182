"""TF Serving's REST JSON formats for Predict.

Requests are either row format (`"instances": [...]`) or columnar
(`"inputs": ...`); binary strings may be sent as `{"b64": "..."}`. Row
requests get `"predictions"` (a list per row: bare values for a single
output, else objects); columnar requests get `"outputs"` (bare value for a
single output, else an object).

What a body may hold, and the message it is refused with, follow TF Serving's
`tensorflow_serving/util/json_tensor.cc` (`ParseJson`, `FillSignature`,
`FillPredictRequestFromJson`, `FillTensorMapFromInstancesList`,
`FillTensorMapFromInputsMap`, `AddInstanceItem`, `FillTensorProto`,
`AddValueToTensor`):
- rows: every instance names every signature input and nothing else (a plain
  list only for a one-input signature), so the REST API never uses the
  SignatureDef's defaults; each input keeps one shape across instances;
- columns: every signature input must be present; other keys are ignored;
- JSON types must match the dtype (numbers for floats, integers in range for
  ints, booleans for bool, strings or `{"b64": ...}` for strings).
"""

import base64
import binascii
import json
from typing import Any

import grpc
import numpy as np
import tensorflow as tf

from serving.errors import ServingError, invalid

_INT_RANGES = {
    tf.int8: (-(2**31), 2**31 - 1),  # json_tensor.cc reads every small int as an int32
    tf.int16: (-(2**31), 2**31 - 1),
    tf.uint8: (-(2**31), 2**31 - 1),
    tf.int32: (-(2**31), 2**31 - 1),
    tf.int64: (-(2**63), 2**63 - 1),
    tf.uint32: (0, 2**32 - 1),
    tf.uint64: (0, 2**64 - 1),
}


def parse_body(body: bytes) -> dict[str, Any]:
    """Returns the JSON object of a request body (`json_tensor.cc` `ParseJson`).

    Raises:
        ServingError: INVALID_ARGUMENT for an empty body, bad JSON or a non-object.
    """
    if not body:
        raise invalid("JSON Parse error: The document is empty")
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise invalid(f"JSON Parse error: {err}") from err
    if not isinstance(doc, dict):
        raise invalid(f"JSON Value: {_debug(doc)} Is not object")
    return doc


def signature_name(doc: dict[str, Any]) -> str:
    """Returns the body's optional `signature_name` ("" when absent; `FillSignature`)."""
    name = doc.get("signature_name", "")
    if not isinstance(name, str):
        raise invalid(
            f"JSON Value: {_debug(doc)} not formatted correctly. "
            "'signature_name' key must be a string value."
        )
    return name


def decode_request(doc: dict[str, Any], signature: Any) -> tuple[dict[str, np.ndarray], bool]:
    """Returns (inputs dict of numpy arrays, is_row_format) for a predict body.

    Args:
        doc: the parsed JSON object (see `parse_body`).
        signature: the `Signature` it targets (gives names and dtypes).

    Raises:
        ServingError: INVALID_ARGUMENT for a body TF Serving refuses.
    """
    has_rows, has_cols = "instances" in doc, "inputs" in doc
    if has_rows and has_cols:
        raise invalid(
            f"JSON Value: {_debug(doc)} Not formatted correctly expecting only one of "
            "'inputs' or 'instances' keys to exist "
        )
    if has_rows:
        return _decode_rows(doc, signature), True
    if has_cols:
        return _decode_columns(doc["inputs"], signature), False
    raise invalid("Missing 'inputs' or 'instances' key")


def _decode_rows(doc, signature):
    rows = doc["instances"]
    if not isinstance(rows, list):
        raise invalid(f"JSON Value: {_debug(doc)} Expecting 'instances' to be an list/array")
    if not rows:
        raise invalid(f"JSON Value: {_debug(doc)} No values in 'instances' array")
    names = sorted(signature.inputs)
    if not isinstance(rows[0], dict) and len(names) > 1:
        raise invalid(
            "instances is a plain list, but expecting list of objects as multiple input "
            "tensors required as per tensorinfo_map"
        )
    named = _is_named(rows[0])
    values = {}
    shapes = {}
    for index, row in enumerate(rows):
        if named:
            if not _is_named(row):
                raise invalid(f"Expecting object but got list at item {index} of input list")
            for key, item in row.items():
                try:
                    _add_instance(item, key, signature, values, shapes)
                except ServingError as err:
                    raise invalid(
                        f"Failed to process element: {index} key: {key} of 'instances' list. "
                        f"Error: INVALID_ARGUMENT: {err.message}"
                    ) from err
            if set(row) != set(names):
                raise invalid(
                    f"Failed to process element: {index} of 'instances' list. JSON object: "
                    f"{_debug(row)} keys must be equal to: {','.join(names)}"
                )
        else:
            if _is_named(row):
                raise invalid(f"Expecting value/list but got object at item {index} of input list")
            try:
                _add_instance(row, names[0], signature, values, shapes)
            except ServingError as err:
                raise invalid(
                    f"Failed to process element: {index} of 'instances' list. "
                    f"Error: INVALID_ARGUMENT: {err.message}"
                ) from err
    return {
        key: _to_numpy(flat, (len(rows), *shapes[key]), signature.inputs[key].dtype)
        for key, flat in values.items()
    }


def _add_instance(item, key, signature, values, shapes):
    spec = signature.inputs.get(key)
    if spec is None:
        raise invalid(f"JSON object: does not have named input: {key}")
    shape = _dense_shape(item)
    flat = []
    _fill(item, 0, shape, spec.dtype, flat)
    if key not in shapes:
        shapes[key] = shape
        values[key] = []
    elif int(np.prod(shapes[key])) != len(flat):
        raise invalid(f"Expecting tensor size: {int(np.prod(shapes[key]))} but got: {len(flat)}")
    elif shapes[key] != shape:
        raise invalid(f"Expecting shape {_shape_text(shapes[key])} but got: {_shape_text(shape)}")
    values[key].extend(flat)


def _decode_columns(value, signature):
    names = sorted(signature.inputs)
    if not isinstance(value, dict) or _is_b64(value):
        if len(names) > 1:
            raise invalid(
                "inputs is a plain value/list, but expecting an object as multiple input "
                "tensors required as per tensorinfo_map"
            )
        columns = {names[0]: value}
    else:
        columns = {}
        for key in names:  # keys the signature does not name are ignored, as in TF Serving
            if key not in value:
                raise invalid(f"Missing named input: {key} in 'inputs' object.")
            columns[key] = value[key]
    inputs = {}
    for key, column in columns.items():
        dtype = signature.inputs[key].dtype
        shape = _dense_shape(column)
        flat = []
        _fill(column, 0, shape, dtype, flat)
        inputs[key] = _to_numpy(flat, shape, dtype)
    return inputs


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


def to_array(value: Any, dtype: tf.DType, name: str = "") -> np.ndarray:
    """Converts nested JSON lists to a numpy array of `dtype` (`tf.DType`), by TF Serving's rules.

    Args:
        value: a JSON value (nested lists of leaves).
        dtype: the signature input's dtype.
        name: unused (TF Serving's messages name the value, not the input).

    Raises:
        ServingError: INVALID_ARGUMENT for ragged lists or values of the wrong type.
    """
    shape = _dense_shape(value)
    flat = []
    _fill(value, 0, shape, dtype, flat)
    return _to_numpy(flat, shape, dtype)


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


def _is_b64(value):
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def _is_named(value):
    return isinstance(value, dict) and not _is_b64(value)


def _dense_shape(value):
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return tuple(shape)


def _fill(value, level, shape, dtype, out):
    rank = len(shape)
    if not isinstance(value, list):
        if level != rank:
            raise invalid(
                f"JSON Value: {_debug(value)} found at incorrect level: {level + 1} in the "
                f"JSON DOM. Expected at level: {rank}"
            )
        out.append(_leaf(value, dtype))
        return
    if level >= rank:
        raise invalid(f"Encountered list at unexpected level: {level} expected < {rank}")
    if len(value) != shape[level]:
        raise invalid(
            f"Encountered list at unexpected size: {len(value)} at level: {level} "
            f"expected size: {shape[level]}"
        )
    for item in value:
        _fill(item, level + 1, shape, dtype, out)


def _leaf(value, dtype):
    if dtype == tf.string:
        if isinstance(value, str):
            return value.encode("utf-8")
        if isinstance(value, dict):
            if not _is_b64(value):
                raise invalid(f"JSON Value: {_debug(value)} not formatted correctly for base64 data")
            try:
                return base64.b64decode(value["b64"], validate=True)
            except (binascii.Error, ValueError) as err:
                raise invalid("Unable to base64 decode") from err
        raise _type_error(value, dtype)
    if dtype == tf.bool:
        if isinstance(value, bool):
            return value
        raise _type_error(value, dtype)
    if dtype in _INT_RANGES:
        low, high = _INT_RANGES[dtype]
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        raise _type_error(value, dtype)
    if dtype in (tf.float32, tf.float64):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        raise _type_error(value, dtype)
    raise ServingError(
        grpc.StatusCode.UNIMPLEMENTED,
        f"Conversion of JSON Value: {_debug(value)} to type: {dtype.name}",
    )


def _to_numpy(flat, shape, dtype):
    if dtype == tf.string:
        array = np.empty(len(flat), dtype=object)
        array[:] = flat
        return array.reshape(shape)
    return np.asarray(flat, dtype=dtype.as_numpy_dtype).reshape(shape)


def _type_error(value, dtype):
    return invalid(
        f"JSON Value: {_debug(value)} Type: {_json_type(value)} is not of expected type: "
        f"{dtype.name}"
    )


def _json_type(value):
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, str):
        return "String"
    return "Number"


def _shape_text(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _debug(value):
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 200 else text[:200] + "..."
