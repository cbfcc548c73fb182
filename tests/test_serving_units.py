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
from serving.server.args import DEFAULT_LENGTH_BUCKETS, parse_length_buckets
from serving.server.batching import DEFAULT_LENGTH_BUCKETS as BATCHER_BUCKETS
from serving.server.batching import Batcher, check_length_buckets, request_length
from serving.server.policy import select_versions
from serving.server.versions import VersionScanner
from tests.serving_fixtures import run_concurrently


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


def _texts(*values):
    return np.array([v.encode() for v in values], dtype=object)


# Three short requests (4 rows, <= 16 bytes) and three long ones (4 rows, 65-128 bytes).
SHORT = [("ab",), ("héllo",), ("", "猫是。")]
LONG = [("x" * 100, "y" * 70), ("z" * 128,), ("w" * 90,)]


def _padded_like_the_export(calls):
    """A fake signature that pads its batch to the longest row, as the export does:
    `width` is that padding, `echo` and `row` say which text each row was."""
    def function(inputs):
        texts = inputs["text"]
        calls.append(sorted(t.decode() for t in texts))
        width = max(len(t) for t in texts)
        return {"echo": texts, "width": np.full(len(texts), width),
                "row": np.arange(len(texts)), "rows": np.int32(len(texts))}
    return function


@pytest.mark.parametrize("grouped", [True, False])
def test_batcher_groups_requests_by_length_and_routes_answers_back(grouped):
    calls = []
    requests = [{"text": _texts(*r)} for r in LONG[:1] + SHORT + LONG[1:]]
    # A batch runs when full (30 s timeout never reached): 4 rows per length group,
    # or all 8 rows in one batch without grouping.
    batcher = Batcher(_padded_like_the_export(calls), max_batch_size=4 if grouped else 8, timeout_s=30.0,
                      length_buckets=BATCHER_BUCKETS if grouped else None)
    out = run_concurrently(batcher, requests)
    short = sorted(t for r in SHORT for t in r)
    long = sorted(t for r in LONG for t in r)
    if grouped:
        assert sorted(calls) == sorted([short, long])
    else:
        assert calls == [sorted(short + long)]
    for request, answer in zip(requests, out, strict=True):
        assert answer["echo"].tolist() == request["text"].tolist()  # its own rows, in order
        assert answer["row"].shape == (len(request["text"]),)
        assert answer["rows"] == (4 if grouped else 8)  # unbatched outputs come whole
    short_widths = {int(w) for r, a in zip(requests, out, strict=True) if len(r["text"][0]) <= 16 for w in a["width"]}
    # Grouped, the short texts pad to the longest short one (9 bytes), not to 128.
    assert short_widths == ({len("猫是。".encode())} if grouped else {128})


def test_request_length_is_bytes_of_the_longest_row_over_string_inputs():
    pair = {"text": _texts("ab", "é"), "text_b": _texts("", "xyz")}
    assert request_length(pair) == 5  # row 1: 2 bytes + 3
    choices = {"context": _texts("c"), "choices": np.array([[b"aa", b"bbbb", b"c"]], dtype=object)}
    assert request_length(choices) == 1 + 4
    assert request_length({"ids": np.zeros([3, 7], np.int32)}) == 0
    assert request_length({"text": np.array([], dtype=object)}) == 0


def test_length_buckets_defaults_agree_and_bad_values_are_refused():
    import argparse

    assert parse_length_buckets(DEFAULT_LENGTH_BUCKETS) == BATCHER_BUCKETS
    assert parse_length_buckets("none") == () and parse_length_buckets("8,64") == (8, 64)
    for bad in ("64,8", "0,8", "8,8", "a,b", "8,,9"):
        with pytest.raises(argparse.ArgumentTypeError, match="`--batch-length-buckets` must be"):
            parse_length_buckets(bad)
    assert check_length_buckets(None) == ()
    for bad in ((8, 4), (0,), (1.5,), (True,)):
        with pytest.raises(ValueError, match=r"`length_buckets` must be .* Received"):
            check_length_buckets(bad)


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
