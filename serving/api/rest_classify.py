"""TF Serving's REST Classify format (`POST /v1/models/NAME:classify`).

Request: `{"signature_name": "...", "context": {feature: value},
"examples": [{feature: value, ...}, ...]}` where a value is a string, an
int, a float, `{"b64": "..."}`, or a list of one kind. Response:
`{"results": [[["label", score], ...], ...]}`.
"""

import base64
import binascii
from typing import Any

from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import input_pb2

from serving.errors import invalid


def decode_classify_request(body: Any) -> tuple[str, input_pb2.Input]:
    """Returns (signature name, `tensorflow.serving.Input` proto) for a JSON body.

    Raises:
        ServingError: INVALID_ARGUMENT for a malformed body.
    """
    if not isinstance(body, dict) or not isinstance(body.get("examples"), list):
        raise invalid("the classify body needs a list 'examples'")
    proto = input_pb2.Input()
    if "context" in body:
        listed = proto.example_list_with_context
        listed.context.CopyFrom(_example(body["context"]))
    else:
        listed = proto.example_list
    for item in body["examples"]:
        listed.examples.add().CopyFrom(_example(item))
    return body.get("signature_name", ""), proto


def encode_classify_response(rows: list[list[tuple[bytes | str, float]]]) -> dict[str, Any]:
    """Returns the JSON-ready response for rows of (label bytes, score)."""
    return {
        "results": [
            [[label.decode("utf-8", "replace") if isinstance(label, bytes) else label, score]
             for label, score in row]
            for row in rows
        ]
    }


def _example(features):
    if not isinstance(features, dict):
        raise invalid(f"an example must be an object of features, got {features!r}")
    example = example_pb2.Example()
    for name, value in features.items():
        values = value if isinstance(value, list) else [value]
        feature = example.features.feature[name]
        if all(isinstance(v, str) or _is_b64(v) for v in values):
            feature.bytes_list.value.extend(_bytes(v) for v in values)
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            feature.int64_list.value.extend(values)
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            feature.float_list.value.extend(values)
        else:
            raise invalid(f"feature {name!r} must be strings, ints or floats, got {value!r}")
    return example


def _is_b64(value):
    return isinstance(value, dict) and set(value) == {"b64"}


def _bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8")
    try:
        return base64.b64decode(value["b64"], validate=True)
    except (binascii.Error, TypeError) as err:
        raise invalid(f"bad base64: {err}") from err
