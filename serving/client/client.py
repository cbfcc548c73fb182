"""A client for TF Serving's gRPC and REST APIs (works on this server and real TF Serving).

Example:
    client = ServingClient("127.0.0.1:8500", "albert")
    outputs = client.predict("fill_mask", {"text": ["Paris is the [MASK] of France."]})
    outputs["top_k_tokens"]  # numpy array of bytes, [B, M, K]
"""

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

import grpc
import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving.errors import ServingError, code_from_http
from serving.tensors import from_proto, to_numpy, to_proto

MAX_MESSAGE_BYTES = 64 << 20


class ServingClient:
    """Talks to one model on a TF Serving compatible server.

    Args:
        target: "host:port" (the gRPC port, or the REST port with `rest=True`).
        model_name: the model to query.
        rest: use the REST JSON API instead of gRPC.
        timeout: seconds per request.
        version: a version number to pin, or None for the server's default.
        version_label: a version label (e.g. "stable") instead of `version`.
        wait_for_ready: gRPC only: wait (up to `timeout`) for the server to come
            up instead of failing at once with UNAVAILABLE.
    """

    def __init__(
        self,
        target: str,
        model_name: str,
        rest: bool = False,
        timeout: float = 30.0,
        version: int | None = None,
        version_label: str | None = None,
        wait_for_ready: bool = False,
    ) -> None:
        self.target = target
        self.model_name = model_name
        self.rest = rest
        self.timeout = timeout
        self.version = version
        self.version_label = version_label
        self.wait_for_ready = wait_for_ready
        self._signatures = None
        self._channel = None
        if not rest:
            self._channel = grpc.insecure_channel(
                target,
                options=[
                    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ],
            )
            self._predict_stub = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
            self._model_stub = model_service_pb2_grpc.ModelServiceStub(self._channel)

    def close(self) -> None:
        """Closes the gRPC channel."""
        if self._channel is not None:
            self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def predict(self, signature: str, inputs: dict[str, Any]) -> dict[str, np.ndarray]:
        """Runs Predict.

        Args:
            signature: signature name, e.g. "fill_mask".
            inputs: dict of input name to array-like (str items are UTF-8 encoded).

        Returns:
            dict of output name to numpy array (strings as `bytes` objects).

        Raises:
            ServingError: with the server's status code.
        """
        if self.rest:
            return self._predict_rest(signature, inputs)
        request = predict_pb2.PredictRequest()
        self._fill_spec(request.model_spec)
        request.model_spec.signature_name = signature
        specs = self._input_dtypes(signature)
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(to_proto(value, specs.get(key)))
        response = self._call(self._predict_stub.Predict, request)
        return {k: from_proto(v) for k, v in response.outputs.items()}

    def classify(
        self, examples: Iterable[tf.train.Example], signature: str = "serving_default"
    ) -> list[list[tuple[str, float]]]:
        """Runs Classify (gRPC only) on `tf.train.Example`s.

        Returns:
            list, one per example, of lists of (label str, score float).
        """
        if self.rest:
            raise ServingError(grpc.StatusCode.UNIMPLEMENTED, "classify() needs gRPC")
        request = classification_pb2.ClassificationRequest()
        self._fill_spec(request.model_spec)
        request.model_spec.signature_name = signature
        request.input.example_list.examples.extend(examples)
        response = self._call(self._predict_stub.Classify, request)
        return [
            [(c.label, c.score) for c in row.classes]
            for row in response.result.classifications
        ]

    def metadata(self) -> dict[str, dict[str, Any]]:
        """Returns {signature: {"inputs": {name: {"dtype", "shape"}}, "outputs": ...}}.

        Shapes are lists with -1 for unknown sizes (None for unknown rank).
        """
        if self.rest:
            body = self._rest("GET", self._url("/metadata"))
            defs = body["metadata"]["signature_def"].get("signature_def", {})
            return {k: _describe_json(v) for k, v in defs.items() if not k.startswith("__")}
        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        self._fill_spec(request.model_spec)
        response = self._call(self._predict_stub.GetModelMetadata, request)
        signature_defs = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signature_defs)
        return {
            k: _describe_json(json_format.MessageToDict(v, preserving_proto_field_name=True))
            for k, v in signature_defs.signature_def.items()
            if not k.startswith("__")
        }

    def status(self) -> list[dict[str, Any]]:
        """Returns [{"version": int, "state": "AVAILABLE", "error": str}, ...]."""
        if self.rest:
            body = self._rest("GET", self._url(""))
            return [
                {
                    "version": int(s["version"]),
                    "state": s["state"],
                    "error": s.get("status", {}).get("error_message", ""),
                }
                for s in body["model_version_status"]
            ]
        request = get_model_status_pb2.GetModelStatusRequest()
        self._fill_spec(request.model_spec)
        response = self._call(self._model_stub.GetModelStatus, request)
        state = get_model_status_pb2.ModelVersionStatus.State
        return [
            {"version": s.version, "state": state.Name(s.state), "error": s.status.error_message}
            for s in response.model_version_status
        ]

    def _fill_spec(self, spec):
        spec.name = self.model_name
        if self.version is not None:
            spec.version.value = int(self.version)
        elif self.version_label:
            spec.version_label = self.version_label

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout, wait_for_ready=self.wait_for_ready)
        except grpc.RpcError as err:
            raise ServingError(err.code(), err.details()) from err

    def signature_inputs(self, signature: str) -> dict[str, str]:
        """Returns {input name: dtype name} of a signature ({} if metadata is unavailable)."""
        if self._signatures is None:
            try:
                self._signatures = self.metadata()
            except ServingError:
                return {}
        spec = self._signatures.get(signature or "serving_default", {})
        return {k: v["dtype"] for k, v in spec.get("inputs", {}).items()}

    def text_inputs(self, signature: str, texts: list[str], texts_b: list[str] | None = None) -> dict[str, list[str]]:
        """Returns the inputs for raw texts: `text`, and `text_b` ("" per text unless given)
        when the signature takes one (TF Serving wants every input a signature names).

        Args:
            signature: the signature to call.
            texts: `[B]` first segments.
            texts_b: `[B]` second segments, or None for single texts.
        """
        inputs = {"text": list(texts)}
        if texts_b is not None:
            inputs["text_b"] = list(texts_b)
        elif "text_b" in self.signature_inputs(signature):
            inputs["text_b"] = [""] * len(inputs["text"])
        return inputs

    def _input_dtypes(self, signature):
        """Signature input dtypes, so Python ints/floats are sent as the model expects."""
        return {k: tf.dtypes.as_dtype(v) for k, v in self.signature_inputs(signature).items()}

    def _url(self, suffix):
        path = f"/v1/models/{self.model_name}"
        if self.version is not None:
            path += f"/versions/{int(self.version)}"
        elif self.version_label:
            path += f"/labels/{self.version_label}"
        return f"http://{self.target}{path}{suffix}"

    def _rest(self, method, url, body=None):
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            try:
                message = json.loads(err.read()).get("error", str(err))
            except ValueError:
                message = str(err)
            raise ServingError(code_from_http(err.code), message) from err
        except (urllib.error.URLError, OSError) as err:
            raise ServingError(grpc.StatusCode.UNAVAILABLE, str(err)) from err

    def _predict_rest(self, signature, inputs):
        columns = {k: _json_value(to_numpy(v)) for k, v in inputs.items()}
        body = self._rest("POST", self._url(":predict"),
                          {"signature_name": signature, "inputs": columns})
        outputs = body["outputs"]
        if self._signatures is None:
            self._signatures = self.metadata()
        specs = self._signatures.get(signature or "serving_default", {}).get("outputs", {})
        if not isinstance(outputs, dict) or not set(outputs) <= set(specs):
            (name,) = specs  # a single output comes back without its name
            outputs = {name: outputs}
        return {k: _from_json(v, specs[k]["dtype"]) for k, v in outputs.items()}


def _describe_json(signature_def):
    def tensors(infos: dict[str, Any]) -> dict[str, dict[str, Any]]:
        out = {}
        for name, info in infos.items():
            shape = info.get("tensor_shape", {})
            dims = None if shape.get("unknown_rank") else [
                int(d.get("size", 0)) for d in shape.get("dim", [])
            ]
            out[name] = {"dtype": tf.dtypes.as_dtype(_dtype_enum(info["dtype"])).name, "shape": dims}
        return out

    return {
        "inputs": tensors(signature_def.get("inputs", {})),
        "outputs": tensors(signature_def.get("outputs", {})),
        "method_name": signature_def.get("method_name", ""),
    }


def _dtype_enum(name):
    return types_pb2.DataType.Value(name) if isinstance(name, str) else name


def _json_value(array):
    if array.dtype == object:
        return _strings(array)
    return array.tolist()


def _strings(value):
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list):
        return [_strings(v) for v in value]
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(value).decode("ascii")}
    return value


def _from_json(value, dtype_name):
    dtype = tf.dtypes.as_dtype(dtype_name)
    if dtype == tf.string:
        return _bytes_array(value)
    return np.asarray(value, dtype=dtype.as_numpy_dtype)


def _bytes_array(value):
    def convert(v: Any) -> Any:
        if isinstance(v, list):
            return [convert(x) for x in v]
        if isinstance(v, dict) and "b64" in v:
            return base64.b64decode(v["b64"])
        return v.encode("utf-8")

    converted = convert(value)
    shape = np.shape(np.asarray(converted, dtype=object)) if converted != [] else (0,)
    flat = np.empty(int(np.prod(shape)), dtype=object)
    flat[:] = list(_flatten(converted))
    return flat.reshape(shape)


def _flatten(value):
    if isinstance(value, list):
        for v in value:
            yield from _flatten(v)
    else:
        yield value
