"""Predict, metadata, status, Classify and version selection against a live server."""

import json
import os
import subprocess
import sys
import urllib.request

import grpc
import numpy as np
import pytest
from tensorflow.core.example import example_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc, regression_pb2

from serving.client.client import ServingClient
from serving.errors import ServingError
from tests.serving_fixtures import REPO, shared_server

QUERY_TEXTS = ["The capital of France is [MASK].", "héllo"]
_CLI = {}


def _start_cli_query(shared, config=None):
    """Starts `albert query` while the server starts (both spend ~30 s importing TF)."""
    albert = os.path.join(os.path.dirname(sys.executable), "albert")
    args = [albert, "query", "--server", shared.proc.grpc_target, "--model", "albert",
            "--signature", "fill_mask", "--label", "stable", "--wait-for-ready", "--timeout", "240"]
    for text in QUERY_TEXTS:
        args += ["--text", text]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
    )
    _CLI["proc"] = proc
    if config is not None:
        config.add_cleanup(lambda: _kill(proc))


def _kill(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.fixture(scope="module")
def server(request, tmp_path_factory):
    shared = shared_server(
        request, tmp_path_factory, on_start=lambda s: _start_cli_query(s, request.config)
    )
    return shared.proc


@pytest.fixture(scope="module")
def grpc_client(server):
    with ServingClient(server.grpc_target, "albert", timeout=20) as client:
        yield client


@pytest.fixture(scope="module")
def rest_client(server):
    return ServingClient(server.rest_target, "albert", rest=True, timeout=20)


def _get(url):
    with urllib.request.urlopen(url, timeout=20) as response:
        return json.loads(response.read())


def test_status_reports_both_versions_available(grpc_client, rest_client):
    for client in (grpc_client, rest_client):
        status = client.status()
        assert [(s["version"], s["state"]) for s in status] == [(1, "AVAILABLE"), (2, "AVAILABLE")]


def test_status_of_one_version_and_label(server):
    stable = ServingClient(server.grpc_target, "albert", version_label="stable")
    assert [s["version"] for s in stable.status()] == [1]
    body = _get(f"http://{server.rest_target}/v1/models/albert/versions/2")
    assert body == {"model_version_status": [{
        "version": "2", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""},
    }]}


def test_metadata_lists_signatures_with_dtypes_and_shapes(grpc_client, rest_client):
    want_fill_mask = {
        "inputs": {"text": {"dtype": "string", "shape": [-1]},
                   "text_b": {"dtype": "string", "shape": [-1]}},
        "outputs": {"top_k_ids": {"dtype": "int32", "shape": [-1, 1, 3]},
                    "top_k_tokens": {"dtype": "string", "shape": [-1, 1, 3]},
                    "top_k_scores": {"dtype": "float32", "shape": [-1, 1, 3]},
                    "mask_positions": {"dtype": "int32", "shape": [-1, 1]}},
    }
    for client in (grpc_client, rest_client):
        metadata = client.metadata()
        assert set(metadata) == {"fill_mask", "embed", "classify", "serving_default", "regress", "stats"}
        got = {k: metadata["fill_mask"][k] for k in ("inputs", "outputs")}
        assert got == want_fill_mask
        assert metadata["serving_default"]["inputs"] == {
            "examples": {"dtype": "string", "shape": [-1]}
        }
        assert metadata["serving_default"]["method_name"] == "tensorflow/serving/classify"
        assert metadata["embed"]["outputs"]["pooled_output"] == {
            "dtype": "float32", "shape": [-1, 4]
        }


def test_rest_metadata_is_tf_serving_json(server):
    body = _get(f"http://{server.rest_target}/v1/models/albert/metadata")
    assert body["model_spec"] == {"name": "albert", "signature_name": "", "version": "2"}
    text = body["metadata"]["signature_def"]["signature_def"]["fill_mask"]["inputs"]["text"]
    assert text["dtype"] == "DT_STRING"
    assert text["tensor_shape"]["dim"][0]["size"] == "-1"


@pytest.mark.parametrize("signature,inputs", [
    ("fill_mask", {"text": ["Paris is the [MASK] of France.", "", "héllo wörld"], "text_b": [""] * 3}),
    ("embed", {"text": ["ab", "abcd"], "text_b": ["xyz", ""]}),
    ("classify", {"text": ["odd", "even"], "text_b": ["", ""]}),
    ("stats", {"text": ["ünïcode ✓", ""]}),
])
def test_grpc_and_rest_predict_agree(grpc_client, rest_client, signature, inputs):
    by_grpc = grpc_client.predict(signature, inputs)
    by_rest = rest_client.predict(signature, inputs)
    assert set(by_grpc) == set(by_rest)
    for key, value in by_grpc.items():
        assert value.shape == by_rest[key].shape, key
        if value.dtype == object:
            assert value.tolist() == by_rest[key].tolist(), key
        else:
            np.testing.assert_allclose(value, by_rest[key], rtol=1e-6, err_msg=key)


def test_predict_answers_are_the_models(grpc_client):
    texts = ["a [MASK]", "", "héllo"]
    out = grpc_client.predict("fill_mask", {"text": texts, "text_b": [""] * len(texts)})
    assert out["top_k_tokens"].shape == (3, 1, 3)
    assert out["top_k_tokens"][0, 0].tolist() == [b"v2_tok0", b"v2_tok1", b"v2_tok2"]
    assert out["mask_positions"][:, 0].tolist() == [8, 0, 5]  # characters, not bytes
    np.testing.assert_allclose(out["top_k_scores"][2, 0], [0.6, 0.3, 0.1], rtol=1e-6)
    embed = grpc_client.predict("embed", {"text": ["ab"], "text_b": ["xyz"]})
    np.testing.assert_allclose(embed["pooled_output"], [[2.0, 2.0, 3.0, 5.0]])
    stats = grpc_client.predict("stats", {"text": ["ünï"]})
    assert stats["upper"].tolist() == ["üNï".encode()]  # tf.strings.upper is ASCII-only


def test_rest_row_and_columnar_formats(server):
    url = f"http://{server.rest_target}/v1/models/albert:predict"

    def post(body):
        request = urllib.request.Request(url, json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=20) as response:
            return json.loads(response.read())

    rows = post({"signature_name": "stats", "instances": ["ab", "é"]})
    assert rows == {"predictions": [
        {"length": 2, "batch_size": 2, "version": 2, "upper": "AB"},
        {"length": 1, "batch_size": 2, "version": 2, "upper": "é"},
    ]}
    named = post({"signature_name": "embed", "instances": [{"text": "ab", "text_b": "c"}]})
    assert named["predictions"][0]["pooled_output"] == [2.0, 2.0, 1.0, 3.0]
    columns = post({"signature_name": "classify", "inputs": {"text": ["abc", "ab"], "text_b": ["", ""]}})
    assert columns["outputs"]["class_labels"] == ["positive", "negative"]
    assert columns["outputs"]["class_ids"] == [1, 0]
    b64 = post({"signature_name": "stats", "inputs": {"text": [{"b64": "aGk="}]}})
    assert b64["outputs"]["upper"] == ["HI"]


def test_versions_and_labels_pick_the_model(server):
    texts = {"text": ["x"]}
    for kwargs, version in (({"version": 1}, 1), ({"version_label": "stable"}, 1),
                            ({"version_label": "canary"}, 2), ({}, 2)):
        for rest in (False, True):
            target = server.rest_target if rest else server.grpc_target
            client = ServingClient(target, "albert", rest=rest, **kwargs)
            assert client.predict("stats", texts)["version"].tolist() == [version], (kwargs, rest)


def test_classify_on_serving_default(grpc_client):
    examples = []
    for text in ("abc", "ab", ""):
        example = example_pb2.Example()
        example.features.feature["text"].bytes_list.value.append(text.encode())
        examples.append(example)
    rows = grpc_client.classify(examples)
    assert len(rows) == 3
    assert [label for label, _ in rows[0]] == ["negative", "positive"]
    assert rows[0][1][1] == pytest.approx(0.9)
    assert rows[1][1][1] == pytest.approx(0.2)
    assert rows[2][0][1] == pytest.approx(0.8)
    with pytest.raises(ServingError) as err:
        grpc_client.classify(examples, signature="fill_mask")
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_rest_classify_on_serving_default(server):
    body = {"context": {"lang": "en"}, "examples": [{"text": "abc"}, {"text": "ab"}]}
    request = urllib.request.Request(f"http://{server.rest_target}/v1/models/albert:classify",
                                     json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=20) as response:
        results = json.loads(response.read())["results"]
    assert [[label for label, _ in row] for row in results] == [["negative", "positive"]] * 2
    assert results[0][1][1] == pytest.approx(0.9) and results[1][1][1] == pytest.approx(0.2)


def test_regress_over_grpc_and_rest(server, channel_stubs):
    request = regression_pb2.RegressionRequest()
    request.model_spec.name = "albert"
    request.model_spec.signature_name = "regress"
    for text in ("abc", ""):
        example = request.input.example_list.examples.add()
        example.features.feature["text"].bytes_list.value.append(text.encode())
    response = channel_stubs.Regress(request, timeout=20)
    assert [r.value for r in response.result.regressions] == [6.0, 0.0]  # length * version 2
    body = {"signature_name": "regress", "examples": [{"text": "abcd"}]}
    request = urllib.request.Request(f"http://{server.rest_target}/v1/models/albert:regress",
                                     json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=20) as response:
        assert json.loads(response.read()) == {"results": [8.0]}


@pytest.fixture(scope="module")
def channel_stubs(server):
    channel = grpc.insecure_channel(server.grpc_target)
    yield prediction_service_pb2_grpc.PredictionServiceStub(channel)
    channel.close()


def _run_query(argv):
    import argparse

    from serving import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_query_rest_json_and_errors_in_process(server, capsys):
    code = _run_query(["query", "--server", server.rest_target, "--rest", "--json", "--model",
                       "albert", "--signature", "embed", "--text", "ab", "--version", "1"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pooled_output"] == [[1.0, 2.0, 0.0, 2.0]]  # text_b sent as ""
    code = _run_query(["query", "--server", server.grpc_target, "--model", "albert",
                       "--signature", "classify", "--text", "abc", "--text", "ab"])
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "[0] positive (0.900)  abc", "[1] negative (0.800)  ab"]
    code = _run_query(["query", "--server", server.grpc_target, "--model", "nope",
                       "--text", "x"])
    assert code == 1
    assert "NOT_FOUND" in capsys.readouterr().err


def test_query_cli_prints_fill_mask_answers(server, pytestconfig):
    pytest_config = pytestconfig
    proc = _CLI.get("proc")
    if proc is None:  # the server was started by another module: run the query now
        _start_cli_query(_SharedView(server), pytest_config)
        proc = _CLI["proc"]
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr[-3000:]
    lines = stdout.splitlines()
    assert lines[0] == "[0] The capital of France is [MASK]."
    assert lines[1] == "    position 32: v1_tok0 (0.600), v1_tok1 (0.300), v1_tok2 (0.100)"
    assert lines[2] == "[1] héllo"
    assert lines[3].startswith("    position 5: v1_tok0 (0.600)")


class _SharedView:
    def __init__(self, proc):
        self.proc = proc
