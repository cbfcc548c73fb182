"""The stand-in (`albert serve`) accepts and refuses Predict requests as stock TF Serving does.

ONE table, `RULES`: each case is a request in gRPC form, REST form or both, the
status TF Serving answers (gRPC code; HTTP status and a key phrase of the
`{"error": ...}` body), and the rule it follows, quoted from TF Serving's
source with the file and function. Every case runs through the gRPC and the
REST API of a stand-in; a case passes only if the code AND the phrase match.

Servers: the session's shared one (`tests.serving_fixtures`, emulating TF
Serving 2.12, dynamic batching on) and, for the cases marked 2.14, one
in-process stand-in with `emulate_version=(2, 14)` over the same model
(`embed`'s `text_b` has the SignatureDef default `[""]`).
"""

import json
import os
import threading
import urllib.error
import urllib.request
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from serving.api.grpc_service import add_servicers
from serving.api.rest_server import make_rest_server
from serving.client.client import ServingClient
from serving.server.manager import ModelManager
from serving.server.model_config import single_model_config
from serving.server.servable import ServableOptions
from serving.server.service import InferenceService
from tests.serving_fixtures import DEFAULTED_SIGNATURE, REPO, copy_version, shared_server

OK = grpc.StatusCode.OK
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
FAILED = grpc.StatusCode.FAILED_PRECONDITION

PREDICT_UTIL = "servables/tensorflow/predict_util.cc"
GET_INPUT_VALUES = "tensorflow/cc/saved_model/util.cc: GetInputValues (TF Serving 2.14+)"
JSON_TENSOR = "util/json_tensor.cc"
BATCHING = "batching/batching_util.h: ComputeTensorBatchSize (BatchingSession::Run)"


@dataclass(frozen=True)
class Grpc:
    """A gRPC Predict request and TF Serving's answer: `code`, and `phrase` in the details
    (for OK: an output the response must hold)."""

    signature: str
    inputs: dict[str, Any]
    code: grpc.StatusCode
    phrase: str
    model: str = "albert"
    version: int | None = None
    label: str | None = None
    output_filter: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rest:
    """A REST request (`body` is JSON-encoded unless bytes) and TF Serving's answer:
    HTTP `status`, and `phrase` in the `"error"` string (for 200: a top-level key)."""

    body: Any
    status: int
    phrase: str
    path: str = "/v1/models/albert:predict"


@dataclass(frozen=True)
class Rule:
    """One row of the table: what TF Serving does, where it says so, and the requests."""

    id: str
    rule: str
    source: str
    grpc: Grpc | None = None
    rest: Rest | None = None
    version: str = "2.12"


def _sig(name, **body):
    return {"signature_name": name, **body}


RULES = [
    # --- inputs: all present, missing, extra, defaults --------------------------------
    Rule("all inputs sent",
         "the request names every signature input",
         f"{PREDICT_UTIL}: VerifyRequestInputsSize",
         Grpc("fill_mask", {"text": ["a [MASK]"], "text_b": [""]}, OK, "top_k_ids"),
         Rest(_sig("fill_mask", instances=[{"text": "a [MASK]", "text_b": ""}]), 200, "predictions")),
    Rule("missing input, no default",
         '"input size does not match signature ... Missing but required: {...}"',
         f"{PREDICT_UTIL}: VerifyRequestInputsSize; {JSON_TENSOR}: FillTensorMapFromInputsMap",
         Grpc("fill_mask", {"text": ["a [MASK]"]}, INVALID, "Missing but required: {text_b}"),
         Rest(_sig("fill_mask", inputs={"text": ["a [MASK]"]}), 400,
              "Missing named input: text_b in 'inputs' object.")),
    Rule("missing input that has a default, TF Serving 2.12",
         "before 2.14 the request must hold exactly the signature's inputs "
         "(`request.inputs().size() != signature.inputs().size()`)",
         f"{PREDICT_UTIL} @2.12.0: VerifyRequestInputsSize",
         Grpc(DEFAULTED_SIGNATURE, {"text": ["ab"]}, INVALID,
              "input size does not match signature: 1!=2"),
         Rest(_sig(DEFAULTED_SIGNATURE, instances=[{"text": "ab"}]), 400,
              "keys must be equal to: text,text_b")),
    Rule("missing input that has a default, TF Serving 2.14",
         "fewer inputs are allowed when the signature has defaults; a left-out input "
         "takes its default. REST never does: every object must name every input",
         f"{PREDICT_UTIL} @2.14.0: VerifyRequestInputsSize; {GET_INPUT_VALUES}; "
         f"{JSON_TENSOR}: FillTensorMapFromInstancesList",
         Grpc(DEFAULTED_SIGNATURE, {"text": ["ab"]}, OK, "pooled_output"),
         Rest(_sig(DEFAULTED_SIGNATURE, inputs={"text": ["ab"]}), 400,
              "Missing named input: text_b in 'inputs' object."),
         version="2.14"),
    Rule("missing input without a default, TF Serving 2.14",
         "fewer inputs only when `signature.defaults()` is not empty, else "
         '"Missing but required: {...}"',
         f"{PREDICT_UTIL} @2.14.0: VerifyRequestInputsSize",
         Grpc("fill_mask", {"text": ["a"]}, INVALID,
              "Missing but required: {text_b}"),
         version="2.14"),
    Rule("wrong name, same count, TF Serving 2.12",
         '"input tensor alias not found in signature: ..."',
         f"{PREDICT_UTIL} @2.12.0: PreProcessPrediction",
         Grpc(DEFAULTED_SIGNATURE, {"text": ["a"], "text_c": ["b"]}, INVALID,
              "input tensor alias not found in signature: text_c"),
         Rest(_sig(DEFAULTED_SIGNATURE, inputs={"text": ["a"], "text_c": ["b"]}), 400,
              "Missing named input: text_b")),
    Rule("wrong name, same count, default covers the gap, TF Serving 2.14",
         '"Inputs contains invalid name"',
         GET_INPUT_VALUES,
         Grpc(DEFAULTED_SIGNATURE, {"text": ["a"], "text_c": ["b"]}, INVALID,
              "Inputs contains invalid name"),
         version="2.14"),
    Rule("extra input",
         '"input size does not match signature ... Sent extra: {...}"; REST rows: '
         '"JSON object: does not have named input"',
         f"{PREDICT_UTIL}: VerifyRequestInputsSize; {JSON_TENSOR}: AddInstanceItem",
         Grpc("stats", {"text": ["a"], "bogus": ["b"]}, INVALID, "Sent extra: {bogus}"),
         Rest(_sig("stats", instances=[{"text": "a", "bogus": "b"}]), 400,
              "does not have named input: bogus")),
    Rule("extra key in a columnar 'inputs' object",
         "only the signature's inputs are read from the object; other keys are ignored",
         f"{JSON_TENSOR}: FillTensorMapFromInputsMap",
         rest=Rest(_sig("stats", inputs={"text": ["a"], "bogus": [1]}), 200, "outputs")),
    Rule("empty request",
         "no inputs: the size check fails; REST: an empty body does not parse",
         f"{PREDICT_UTIL}: VerifyRequestInputsSize; {JSON_TENSOR}: ParseJson",
         Grpc("stats", {}, INVALID, "input size does not match signature: 0!=1"),
         Rest(b"", 400, "JSON Parse error: The document is empty")),
    Rule("body with neither 'instances' nor 'inputs'",
         '"Missing \'inputs\' or \'instances\' key"',
         f"{JSON_TENSOR}: FillPredictRequestFromJson",
         rest=Rest(_sig("stats"), 400, "Missing 'inputs' or 'instances' key")),
    Rule("empty 'instances'",
         '"No values in \'instances\' array"',
         f"{JSON_TENSOR}: FillPredictRequestFromJson",
         rest=Rest(_sig("stats", instances=[]), 400, "No values in 'instances' array")),
    # --- signature, model, version, label ------------------------------------------------
    Rule("unknown signature",
         'gRPC: FAILED_PRECONDITION "Serving signature key \\"...\\" not found."; '
         'REST: INVALID_ARGUMENT "Serving signature name: ... not found in signature def"',
         f"{PREDICT_UTIL}: RunPredict; model_servers/http_rest_api_handler.cc: GetInfoMap",
         Grpc("nope", {"text": ["a"]}, FAILED, 'Serving signature key "nope" not found.'),
         Rest(_sig("nope", instances=["a"]), 400,
              'Serving signature name: "nope" not found in signature def')),
    Rule("unknown model",
         'NOT_FOUND "Servable not found for request: Latest(...)"',
         "core/basic_manager.cc: ServingMap::GetUntypedServableHandle",
         Grpc("stats", {"text": ["a"]}, NOT_FOUND, "Servable not found for request: Latest(nope)",
              model="nope"),
         Rest(_sig("stats", instances=["a"]), 404, "Servable not found for request: Latest(nope)",
              path="/v1/models/nope:predict")),
    Rule("unknown version",
         'NOT_FOUND "Servable not found for request: Specific(..., N)"',
         "core/basic_manager.cc: ServingMap::GetUntypedServableHandle",
         Grpc("stats", {"text": ["a"]}, NOT_FOUND, "Specific(albert, 99)", version=99),
         Rest(_sig("stats", instances=["a"]), 404, "Specific(albert, 99)",
              path="/v1/models/albert/versions/99:predict")),
    Rule("unknown version label",
         'INVALID_ARGUMENT "Unrecognized servable version label: ..."',
         "model_servers/server_core.cc: GetModelVersionForLabel",
         Grpc("stats", {"text": ["a"]}, INVALID, "Unrecognized servable version label: nope",
              label="nope"),
         Rest(_sig("stats", instances=["a"]), 400, "Unrecognized servable version label: nope",
              path="/v1/models/albert/labels/nope:predict")),
    Rule("known version label",
         "a label resolves to its version (models.config version_labels)",
         "model_servers/server_core.cc: ServableRequestFromModelSpec",
         Grpc("stats", {"text": ["a"]}, OK, "version", label="stable"),
         Rest(_sig("stats", inputs=["a"]), 200, "outputs", path="/v1/models/albert/labels/stable:predict")),
    # --- dtypes, shapes, batch sizes ---------------------------------------------------
    Rule("wrong dtype",
         'the runtime refuses the fed tensor: "Expects arg[i] to be T but U is provided"; '
         'REST: "JSON Value: ... is not of expected type"',
         f"{PREDICT_UTIL}: RunPredict (Session::Run); {JSON_TENSOR}: AddValueToTensor",
         Grpc("stats", {"text": np.array([1, 2], np.int32)}, INVALID,
              "Expects arg[0] to be string but int32 is provided"),
         Rest(_sig("stats", inputs={"text": [1, 2]}), 400,
              "JSON Value: 1 Type: Number is not of expected type: string")),
    Rule("not UTF-8",
         "string tensors are bytes: nothing checks UTF-8 (the model decides)",
         f"{JSON_TENSOR}: JsonDecodeBase64Object; {PREDICT_UTIL}: PreProcessPrediction",
         Grpc("stats", {"text": [b"\xff\xfe"]}, OK, "length"),
         Rest(_sig("stats", inputs={"text": [{"b64": "//4="}]}), 200, "outputs")),
    Rule("bad base64",
         '"Unable to base64 decode"',
         f"{JSON_TENSOR}: JsonDecodeBase64Object",
         rest=Rest(_sig("stats", inputs={"text": [{"b64": "not base64!"}]}), 400,
                   "Unable to base64 decode")),
    Rule("batch sizes disagree (dynamic batching on)",
         '"Batching Run() input tensors must have equal 0th-dimension size"',
         BATCHING,
         Grpc(DEFAULTED_SIGNATURE, {"text": ["a", "b"], "text_b": ["c"]}, INVALID,
              "must have equal 0th-dimension size"),
         Rest(_sig(DEFAULTED_SIGNATURE, inputs={"text": ["a", "b"], "text_b": ["c"]}), 400,
              "must have equal 0th-dimension size")),
    Rule("scalar input (dynamic batching on)",
         '"Batching Run() input tensors must have at least one dimension"',
         BATCHING,
         Grpc("stats", {"text": "a"}, INVALID, "must have at least one dimension"),
         Rest(_sig("stats", inputs={"text": "a"}), 400, "must have at least one dimension")),
    Rule("default of a fixed shape meets another batch size (2.14)",
         "a default is a fixed tensor, fed as is: it is not broadcast to the request's batch",
         f"{GET_INPUT_VALUES}; {BATCHING}",
         Grpc(DEFAULTED_SIGNATURE, {"text": ["a", "b"]}, INVALID,
              "must have equal 0th-dimension size"),
         version="2.14"),
    Rule("ragged list",
         '"Encountered list at unexpected size"',
         f"{JSON_TENSOR}: FillTensorProto",
         rest=Rest(_sig("stats", inputs={"text": [["a"], ["b", "c"]]}), 400,
                   "Encountered list at unexpected size: 2 at level: 1 expected size: 1")),
    Rule("one input's shape changes across instances",
         '"Expecting shape ... but got: ..."',
         f"{JSON_TENSOR}: AddInstanceItem",
         rest=Rest(_sig("stats", instances=["a", ["b"]]), 400, "Expecting shape [] but got: [1]")),
    # --- row vs columnar JSON ----------------------------------------------------------
    Rule("row format",
         "instances: a plain list for a one-input signature, answered with 'predictions'",
         f"{JSON_TENSOR}: FillTensorMapFromInstancesList, MakeRowFormatJsonFromTensors",
         rest=Rest(_sig("stats", instances=["a", "bc"]), 200, "predictions")),
    Rule("columnar format",
         "inputs: an object of named inputs, answered with 'outputs'",
         f"{JSON_TENSOR}: FillTensorMapFromInputsMap, MakeColumnarFormatJsonFromTensors",
         rest=Rest(_sig(DEFAULTED_SIGNATURE, inputs={"text": ["a"], "text_b": ["b"]}), 200,
                   "outputs")),
    Rule("'instances' and 'inputs' together",
         '"Not formatted correctly expecting only one of \'inputs\' or \'instances\' keys"',
         f"{JSON_TENSOR}: FillPredictRequestFromJson",
         rest=Rest(_sig("stats", instances=["a"], inputs=["a"]), 400,
                   "expecting only one of 'inputs' or 'instances' keys to exist")),
    Rule("objects and plain values mixed in 'instances'",
         '"Expecting object but got list at item ..."',
         f"{JSON_TENSOR}: FillTensorMapFromInstancesList",
         rest=Rest(_sig("stats", instances=[{"text": "a"}, "b"]), 400,
                   "Expecting object but got list at item 1")),
    Rule("plain 'instances' for a two-input signature",
         '"instances is a plain list, but expecting list of objects"',
         f"{JSON_TENSOR}: FillTensorMapFromInstancesList",
         rest=Rest(_sig(DEFAULTED_SIGNATURE, instances=["a"]), 400,
                   "instances is a plain list, but expecting list of objects")),
    Rule("plain 'inputs' for a two-input signature",
         '"inputs is a plain value/list, but expecting an object"',
         f"{JSON_TENSOR}: FillTensorMapFromInputsMap",
         rest=Rest(_sig(DEFAULTED_SIGNATURE, inputs=["a"]), 400,
                   "inputs is a plain value/list, but expecting an object")),
    Rule("body not a JSON object",
         '"JSON Value: ... Is not object"',
         f"{JSON_TENSOR}: ParseJson",
         rest=Rest(["a"], 400, "Is not object")),
    Rule("unknown output_filter alias",
         '"output tensor alias not found in signature"',
         f"{PREDICT_UTIL}: PreProcessPrediction",
         Grpc("stats", {"text": ["a"]}, INVALID, "output tensor alias not found in signature: nope",
              output_filter=("nope",))),
]


def _ids(rules):
    return [r.id for r in rules]


GRPC_RULES = [r for r in RULES if r.grpc is not None]
REST_RULES = [r for r in RULES if r.rest is not None]


@pytest.fixture(scope="module")
def servers(request, tmp_path_factory):
    """{"2.12": (grpc target, rest target), "2.14": ...}: the shared subprocess server and an
    in-process stand-in emulating 2.14 over the same model (one load, no second process)."""
    shared = shared_server(request, tmp_path_factory)
    base = tmp_path_factory.mktemp("rules214") / "albert"
    copy_version(shared.sources["v2"], str(base / "2"))
    options = ServableOptions(max_batch_size=16, batch_timeout_ms=5, emulate_version=(2, 14),
                              warmup=False)
    manager = ModelManager(single_model_config("albert", str(base)), options, poll_seconds=60)
    manager.start()
    service = InferenceService(manager)
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_servicers(grpc_server, service)
    grpc_port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    rest_server = make_rest_server("127.0.0.1", 0, service)
    threading.Thread(target=rest_server.serve_forever, daemon=True).start()
    yield {
        "2.12": (shared.proc.grpc_target, shared.proc.rest_target),
        "2.14": (f"127.0.0.1:{grpc_port}", f"127.0.0.1:{rest_server.server_address[1]}"),
    }
    rest_server.shutdown()
    rest_server.server_close()
    grpc_server.stop(grace=1).wait()
    manager.stop()


def _grpc_request(case):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = case.model
    request.model_spec.signature_name = case.signature
    if case.version is not None:
        request.model_spec.version.value = case.version
    if case.label:
        request.model_spec.version_label = case.label
    for key, value in case.inputs.items():
        request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
    request.output_filter.extend(case.output_filter)
    return request


@pytest.mark.parametrize("rule", GRPC_RULES, ids=_ids(GRPC_RULES))
def test_grpc_follows_tf_serving(servers, rule):
    case = rule.grpc
    with grpc.insecure_channel(servers[rule.version][0]) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        if case.code == OK:
            response = stub.Predict(_grpc_request(case), timeout=30)
            assert case.phrase in response.outputs, (rule.id, list(response.outputs))
            return
        with pytest.raises(grpc.RpcError) as err:
            stub.Predict(_grpc_request(case), timeout=30)
    assert err.value.code() == case.code, (rule.id, err.value.details())
    assert case.phrase in err.value.details(), (rule.id, err.value.details())


@pytest.mark.parametrize("rule", REST_RULES, ids=_ids(REST_RULES))
def test_rest_follows_tf_serving(servers, rule):
    case = rule.rest
    data = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    url = f"http://{servers[rule.version][1]}{case.path}"
    request = urllib.request.Request(url, data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, payload = response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        status, payload = err.code, json.loads(err.read())
    assert status == case.status, (rule.id, payload)
    if status == 200:
        assert case.phrase in payload, (rule.id, payload)
        return
    assert set(payload) == {"error"}, payload  # TF Serving's MakeJsonFromStatus body
    assert case.phrase in payload["error"], (rule.id, payload)


def test_default_fills_the_left_out_input_only_from_2_14(servers):
    """The 2.14 answer really used the default: text_b "" gives length 0 in `embed`."""
    client = ServingClient(servers["2.14"][0], "albert")
    try:
        out = client.predict(DEFAULTED_SIGNATURE, {"text": ["abc"]})
    finally:
        client.close()
    np.testing.assert_allclose(out["pooled_output"], [[2.0, 3.0, 0.0, 3.0]])


def test_every_rule_is_driven_and_documented():
    """Each case runs somewhere, names its source, and sits in serving/README.md's table."""
    with open(os.path.join(REPO, "serving", "README.md"), encoding="utf-8") as f:
        readme = f.read()
    for rule in RULES:
        assert rule.grpc is not None or rule.rest is not None, rule.id
        assert ".cc" in rule.source or ".h" in rule.source, rule.id
        assert f"| {rule.id} |" in readme, f"serving/README.md lacks the row {rule.id!r}"


def test_emulate_version_flag():
    """`--emulate-version` takes 2.12 and later (patch releases too); defaults start at 2.14."""
    import argparse

    from serving.server.args import add_serve_arguments

    parser = add_serve_arguments(argparse.ArgumentParser())
    assert parser.parse_args([]).emulate_version == (2, 12)
    assert parser.parse_args(["--emulate-version", "2.16.1"]).emulate_version == (2, 16)
    assert not ServableOptions(emulate_version=(2, 13)).honours_defaults
    assert ServableOptions(emulate_version=(2, 14)).honours_defaults
    for bad in ("2.11", "latest", "3"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--emulate-version", bad])
