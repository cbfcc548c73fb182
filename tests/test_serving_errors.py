"""Every bad request gets its status code, and the server keeps answering."""

import json
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from serving.client.client import ServingClient
from tests.serving_fixtures import shared_server

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    return shared_server(request, tmp_path_factory).proc


@pytest.fixture(scope="module")
def channel(server):
    channel = grpc.insecure_channel(server.grpc_target)
    yield channel
    channel.close()


def _predict_request(model="albert", signature="stats", version=None, label=None, **inputs):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    if version is not None:
        request.model_spec.version.value = version
    if label:
        request.model_spec.version_label = label
    for key, value in inputs.items():
        proto = value if isinstance(value, type(request.inputs[key])) else tf.make_tensor_proto(value)
        request.inputs[key].CopyFrom(proto)
    return request


def _bad_tensor():
    proto = tf.make_tensor_proto(np.arange(4, dtype=np.int32))
    proto.tensor_content = proto.tensor_content[:-2]  # 14 bytes for 4 int32s
    return proto


GRPC_CASES = [
    ("unknown model", _predict_request(model="nope", text=["a"]), NOT_FOUND),
    ("unknown version", _predict_request(version=99, text=["a"]), NOT_FOUND),
    ("unknown label", _predict_request(label="nope", text=["a"]), INVALID),
    ("unknown signature", _predict_request(signature="nope", text=["a"]), FAILED_PRECONDITION),
    ("missing input", _predict_request(signature="embed", text_b=["a"]), INVALID),
    ("extra input", _predict_request(text=["a"], bogus=["b"]), INVALID),
    ("wrong dtype", _predict_request(text=np.array([1, 2], np.int32)), INVALID),
    ("wrong rank", _predict_request(text=[["a", "b"]]), INVALID),
    ("scalar", _predict_request(text="a"), INVALID),
    ("batch over the limit", _predict_request(text=["a"] * 1025), INVALID),
    ("batch sizes differ", _predict_request(signature="embed", text=["a", "b"], text_b=["c"]),
     INVALID),
    ("malformed tensor", _predict_request(text=_bad_tensor()), INVALID),
]


@pytest.mark.parametrize("name,request_,code", GRPC_CASES, ids=[c[0] for c in GRPC_CASES])
def test_grpc_predict_errors(channel, name, request_, code):
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    with pytest.raises(grpc.RpcError) as err:
        stub.Predict(request_, timeout=20)
    assert err.value.code() == code, err.value.details()
    assert err.value.details()
    ok = stub.Predict(_predict_request(text=["still here", ""]), timeout=20)
    assert tf.make_ndarray(ok.outputs["length"]).tolist() == [10, 0]


def test_grpc_other_errors(channel):
    predict = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    models = model_service_pb2_grpc.ModelServiceStub(channel)
    request = _predict_request(text=["a"])
    request.output_filter.append("nope")
    cases = [(predict.Predict, request, INVALID)]
    metadata = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["nope"])
    metadata.model_spec.name = "albert"
    cases.append((predict.GetModelMetadata, metadata, INVALID))
    metadata = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    metadata.model_spec.name = "nope"
    cases.append((predict.GetModelMetadata, metadata, NOT_FOUND))
    for name, version in (("nope", None), ("albert", 99)):
        status = get_model_status_pb2.GetModelStatusRequest()
        status.model_spec.name = name
        if version:
            status.model_spec.version.value = version
        cases.append((models.GetModelStatus, status, NOT_FOUND))
    for method, req, code in cases:
        with pytest.raises(grpc.RpcError) as err:
            method(req, timeout=20)
        assert err.value.code() == code, (method, err.value.details())
    request = _predict_request(text=["abc"])
    request.output_filter.append("length")
    response = predict.Predict(request, timeout=20)
    assert list(response.outputs) == ["length"]
    assert response.model_spec.version.value == 2
    assert response.model_spec.signature_name == "stats"


def _post(server, path, body):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://{server.rest_target}{path}", data, method="POST")
    return _open(request)


def _open(request):
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


REST_CASES = [
    ("GET", "/v1/models/nope", None, 404),
    ("GET", "/v1/models/albert/versions/99", None, 404),
    ("GET", "/v1/models/albert/labels/nope/metadata", None, 400),
    ("GET", "/v2/whatever", None, 400),
    ("POST", "/v1/models/nope:predict", {"inputs": {"text": ["a"]}}, 404),
    ("POST", "/v1/models/albert:predict", b"{not json", 400),
    ("POST", "/v1/models/albert:predict", {"signature_name": "nope", "inputs": ["a"]}, 400),
    ("POST", "/v1/models/albert:predict", {"signature_name": "embed", "inputs": {"text_b": ["a"]}}, 400),
    ("POST", "/v1/models/albert:predict", {"signature_name": "stats", "inputs": {"text": [1, 2]}}, 400),
    ("POST", "/v1/models/albert:predict", {"signature_name": "stats", "inputs": {"text": [["a"], ["b", "c"]]}}, 400),
    ("POST", "/v1/models/albert:predict",
     {"signature_name": "stats", "inputs": {"text": [{"b64": "not base64!"}]}}, 400),
    ("POST", "/v1/models/albert:predict", {"signature_name": "stats", "instances": ["a"], "inputs": ["a"]}, 400),
    ("POST", "/v1/models/albert:predict", {"signature_name": "stats", "instances": ["a"] * 1025}, 400),
    ("POST", "/v1/models/albert:predict", {"signature_name": "stats", "instances": [{"text": "a", "x": "b"}]}, 400),
    ("POST", "/v1/models/albert:classify", {"signature_name": "fill_mask", "examples": [{"text": "a"}]}, 400),
    ("POST", "/v1/models/albert:classify", {"examples": [{"text": [1, "a"]}]}, 400),
    ("POST", "/v1/models/albert:regress", {"signature_name": "stats", "examples": [{"text": "a"}]}, 400),
    ("POST", "/v1/models/albert:regress", {"signature_name": "regress", "examples": []}, 400),
]


@pytest.mark.parametrize("method,path,body,status", REST_CASES,
                         ids=[f"{c[0]} {c[1]} {str(c[2])[:30]}" for c in REST_CASES])
def test_rest_errors(server, method, path, body, status):
    if method == "GET":
        got, payload = _open(urllib.request.Request(f"http://{server.rest_target}{path}"))
    else:
        got, payload = _post(server, path, body)
    assert got == status, payload
    assert isinstance(payload["error"], str) and payload["error"]
    got, payload = _post(server, "/v1/models/albert:predict",
                         {"signature_name": "stats", "inputs": {"text": ["", "ok"]}})
    assert got == 200 and payload["outputs"]["length"] == [0, 2]


def test_client_raises_serving_error_with_code(server):
    from serving.errors import ServingError

    for rest, target in ((False, server.grpc_target), (True, server.rest_target)):
        client = ServingClient(target, "albert", rest=rest, version=99)
        with pytest.raises(ServingError) as err:
            client.predict("stats", {"text": ["a"]})
        assert err.value.code == NOT_FOUND
