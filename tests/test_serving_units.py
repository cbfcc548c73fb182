"""Unit tests of the server's parts: version pick-up, policy, batching, JSON, printing."""

import os
import threading

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.config import model_server_config_pb2

from serving.api.rest_json import encode_response, to_array
from serving.client.printing import format_outputs
from serving.errors import ServingError
from serving.server.batching import Batcher
from serving.server.policy import select_versions
from serving.server.versions import VersionScanner


def _write(path, data=b"x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def test_scanner_needs_saved_model_pb_variables_index_and_two_stable_scans(tmp_path):
    base = str(tmp_path)
    _write(os.path.join(base, "1", "variables", "variables.data-00000-of-00001"))
    _write(os.path.join(base, "2", "saved_model.pb"))
    _write(os.path.join(base, "2", "variables", "variables.data-00000-of-00001"))
    _write(os.path.join(base, "3", "saved_model.pb"))
    os.makedirs(os.path.join(base, "not_a_version"))
    _write(os.path.join(base, "not_a_version", "saved_model.pb"))
    scanner = VersionScanner(base)
    ready, present = scanner.scan()
    assert ready == {} and present == {3}  # v1: no pb; v2: no variables.index
    ready, _ = scanner.scan()
    assert set(ready) == {3}
    _write(os.path.join(base, "2", "variables", "variables.index"))
    _write(os.path.join(base, "3", "saved_model.pb"), b"grown")  # still being written
    ready, present = scanner.scan()
    assert ready == {} and present == {2, 3}
    ready, _ = scanner.scan()
    assert set(ready) == {2, 3}


def _policy(text):
    config = model_server_config_pb2.ModelConfig()
    from google.protobuf import text_format

    text_format.Parse(f"model_version_policy {{ {text} }}", config)
    return config.model_version_policy


@pytest.mark.parametrize("text,want", [
    ("", {7}),
    ("latest { num_versions: 2 }", {5, 7}),
    ("all {}", {1, 5, 7}),
    ("specific { versions: 1 versions: 9 }", {1}),
])
def test_version_policy(text, want):
    assert select_versions(_policy(text), [1, 7, 5]) == want


def test_batcher_merges_and_splits_back():
    calls = []

    def double(inputs):
        calls.append(len(inputs["x"]))
        return {"y": inputs["x"] * 2, "n": np.full(len(inputs["x"]), len(inputs["x"]))}

    batcher = Batcher(double, max_batch_size=64, timeout_s=0.2)
    results = {}
    barrier = threading.Barrier(6)

    def call(i):
        barrier.wait()
        results[i] = batcher.run({"x": np.arange(i + 1) + 10 * i})

    threads = [threading.Thread(target=call, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.stop()
    for i in range(6):
        np.testing.assert_array_equal(results[i]["y"], (np.arange(i + 1) + 10 * i) * 2)
    assert max(calls) > 1 + 2  # at least two requests merged
    assert sum(calls) == sum(range(1, 7))


def test_batcher_isolates_a_failing_request():
    def picky(inputs):
        if (inputs["x"] < 0).any() and len(inputs["x"]) == 1:
            raise ValueError("negative")
        if (inputs["x"] < 0).any():
            raise ValueError("merged batch with a negative")
        return {"y": inputs["x"] + 1}

    batcher = Batcher(picky, max_batch_size=8, timeout_s=0.2)
    out, barrier = {}, threading.Barrier(3)

    def call(i, value):
        barrier.wait()
        try:
            out[i] = batcher.run({"x": np.array([value])})["y"].tolist()
        except ValueError as err:
            out[i] = str(err)

    threads = [threading.Thread(target=call, args=(i, v)) for i, v in enumerate((1, -1, 5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.stop()
    assert out == {0: [2], 1: "negative", 2: [6]}


def test_rest_json_arrays_and_errors():
    np.testing.assert_array_equal(to_array([[1, 2], [3, 4]], tf.int32, "x"), [[1, 2], [3, 4]])
    assert to_array(["a", {"b64": "/w=="}], tf.string, "t").tolist() == [b"a", b"\xff"]
    for value, dtype in (([[1], [2, 3]], tf.int32), ([1.5], tf.int64), (["a"], tf.float32),
                         ([1], tf.string), ([True], tf.int32)):
        with pytest.raises(ServingError) as err:
            to_array(value, dtype, "x")
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.http_status == 400


def test_rest_json_response_formats():
    outputs = {"a": np.array([1, 2]), "s": np.array([b"x", b"\xff"], dtype=object)}
    assert encode_response(outputs, row_format=True) == {
        "predictions": [{"a": 1, "s": "x"}, {"a": 2, "s": {"b64": "/w=="}}]
    }
    assert encode_response({"a": np.array([1, 2])}, row_format=True) == {"predictions": [1, 2]}
    assert encode_response({"a": np.array([1.5])}, row_format=False) == {"outputs": [1.5]}


def test_fill_mask_printing_skips_padding_masks():
    outputs = {  # row 1 has one mask fewer: the exporter pads with position -1
        "top_k_tokens": np.array([[[b"paris", b"lyon"], [b"a", b"b"]],
                                  [[b"x", b"y"], [b"", b""]]], dtype=object),
        "top_k_scores": np.array([[[0.75, 0.25], [0.5, 0.5]],
                                  [[0.9, 0.1], [0.0, 0.0]]], dtype=np.float32),
        "mask_positions": np.array([[3, 5], [1, -1]], dtype=np.int32),
    }
    assert format_outputs("fill_mask", ["the [MASK] [MASK]", "[MASK]"], outputs) == (
        "[0] the [MASK] [MASK]\n"
        "    position 3: paris (0.750), lyon (0.250)\n"
        "    position 5: a (0.500), b (0.500)\n"
        "[1] [MASK]\n"
        "    position 1: x (0.900), y (0.100)"
    )


def test_classify_and_embed_printing():
    classify = {"probabilities": np.array([[0.2, 0.8]], np.float32),
                "class_ids": np.array([1]), "class_labels": np.array([b"pos"], dtype=object)}
    assert format_outputs("classify", ["good"], classify) == "[0] pos (0.800)  good"
    embed = {"pooled_output": np.arange(8, dtype=np.float32)[None]}
    assert format_outputs("embed", ["hi"], embed) == (
        "[0] hi\n    pooled_output: dim 8: [0.0000, 1.0000, 2.0000, 3.0000, 4.0000, ...]"
    )


def test_examples_from_input_merges_context_and_rejects_an_empty_request():
    from tensorflow.core.example import example_pb2
    from tensorflow_serving.apis import input_pb2

    from serving.server.examples import examples_from_input

    request = input_pb2.Input()
    listed = request.example_list_with_context
    listed.context.features.feature["text_b"].bytes_list.value.append(b"context")
    listed.context.features.feature["text"].bytes_list.value.append(b"overridden")
    listed.examples.add().features.feature["text"].bytes_list.value.append(b"own")
    (serialized,) = examples_from_input(request, "Classify")
    merged = example_pb2.Example.FromString(serialized).features.feature
    assert merged["text_b"].bytes_list.value == [b"context"]
    assert merged["text"].bytes_list.value == [b"own"]  # the example's own features win

    for empty in (input_pb2.Input(), input_pb2.Input(example_list=input_pb2.ExampleList())):
        with pytest.raises(ServingError, match="the Regress request has no examples") as error:
            examples_from_input(empty, "Regress")
        assert error.value.code == grpc.StatusCode.INVALID_ARGUMENT
