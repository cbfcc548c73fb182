"""Export to TF Serving: round trips, signatures, masks, assets, ops, TFSMLayer, .keras.

One tiny SentencePiece model (~400 pieces) and two exports (a pretrainer via
the Python API, a classifier model directory via `albert export`) are shared
by the whole module; everything else reuses them.
"""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from tests.model_helpers import randomize_weights

REPO_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
VOCAB_SIZE = 400
MAX_LEN = 32
PRETRAINER_T = 24  # exported with an explicit --sequence-length below max_sequence_length
TOP_K = 4
LABELS = ["negative", "neutral", "positive"]

ENGLISH_ONE = "The [MASK] is a star."
ENGLISH_TWO = "A [MASK] and a [MASK] go to the moon."
CHINESE = "猫是[MASK]。"
OVERLONG = " ".join(["science is the study of the natural world"] * 20) + " [MASK]"
TEXTS = [CHINESE, ENGLISH_ONE, ENGLISH_TWO, "no mask here", "", "[MASK] " + OVERLONG]
TEXTS_B = ["", "", "the sun", "", "", OVERLONG]


# === Fixtures ===


@pytest.fixture(scope="module")
def vocab_dir(tmp_path_factory):
    from albert_keras.data import corpus
    from albert_keras.tokenizer import vocab

    documents = corpus.read_documents(os.path.join(REPO_DATA, "fortunes/science.txt"))[:40]
    documents += [d for d in corpus.read_documents(os.path.join(REPO_DATA, "zh/chinese.txt")) if "猫" in d][:10]
    proto = vocab.train_sentencepiece(documents, vocab_size=VOCAB_SIZE, lowercase=True, seed=0)
    out = tmp_path_factory.mktemp("export_vocab")
    vocab.write_vocab_dir(out, proto, {"lowercase": True, "strip_accents": True, "seed": 0})
    return str(out)


def _backbone():
    from albert_keras import AlbertBackbone

    return AlbertBackbone(
        vocabulary_size=VOCAB_SIZE, num_layers=2, num_heads=2, embedding_dim=8, hidden_dim=16,
        intermediate_dim=32, max_sequence_length=MAX_LEN,
    )


@pytest.fixture(scope="module")
def pretrainer():
    from albert_keras import AlbertPretrainer

    model = AlbertPretrainer(_backbone())
    randomize_weights(model, seed=1)
    return model


@pytest.fixture(scope="module")
def classifier():
    from albert_keras import AlbertClassifier

    model = AlbertClassifier(_backbone(), num_classes=3, class_labels=LABELS)
    randomize_weights(model, seed=2)
    return model


@pytest.fixture(scope="module")
def pretrainer_export(tmp_path_factory, pretrainer, vocab_dir):
    from albert_keras.export import export_saved_model

    out = str(tmp_path_factory.mktemp("pt_serving") / "1")
    result = export_saved_model(pretrainer, out, spm_path=vocab_dir, top_k=TOP_K, sequence_length=PRETRAINER_T)
    assert result == out
    return out


@pytest.fixture(scope="module")
def pretrainer_loaded(pretrainer_export):
    return tf.saved_model.load(pretrainer_export)


@pytest.fixture(scope="module")
def classifier_export(tmp_path_factory, classifier, vocab_dir):
    """Exported through the CLI from a model directory (default T = max_sequence_length)."""
    from albert_keras import cli, save_model_dir

    model_dir = str(tmp_path_factory.mktemp("cls_model"))
    save_model_dir(
        classifier, model_dir, spm_path=os.path.join(vocab_dir, "spiece.model"),
        tokenizer_options={"lowercase": True, "strip_accents": True},
    )
    out = str(tmp_path_factory.mktemp("cls_serving") / "7")
    assert cli.main(["export", "--model", model_dir, "--output", out]) == 0
    return out


@pytest.fixture(scope="module")
def classifier_loaded(classifier_export):
    return tf.saved_model.load(classifier_export)


@pytest.fixture(scope="module")
def classifier_servable(classifier_export):
    """The classifier export loaded by the local server of serving/ (unbatched)."""
    try:
        from serving.server.servable import Servable, ServableOptions
    except ImportError as e:  # serving/ is another package; do not fail export tests on it
        pytest.skip(f"serving/ not importable: {e}")
    servable = Servable("albert", 7, classifier_export, ServableOptions(max_batch_size=0))
    yield servable
    servable.close()


def _preprocessor(vocab_dir, sequence_length):
    from albert_keras.preprocessing.preprocessor import AlbertPreprocessor

    return AlbertPreprocessor.from_vocab_dir(vocab_dir, sequence_length=sequence_length)


def _reference_inputs(preprocessor, text, text_b):
    """Training-side packing; rows with text_b "" are packed alone."""
    single = preprocessor(tf.constant(text))
    pair = preprocessor((tf.constant(text), tf.constant(text_b)))
    has_b = np.array([bool(b) for b in text_b])[:, None]
    return {k: np.where(has_b, pair[k].numpy(), single[k].numpy()) for k in single}


def _softmax(x):
    x = x - x.max(-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def _call(loaded, name, text, text_b=None):
    """Calls the single-text signature `name`, or with `text_b` its `name_pair` sibling."""
    if text_b is None:
        out = loaded.signatures[name](text=tf.constant(text))
    else:
        out = loaded.signatures[name + "_pair"](text=tf.constant(text), text_b=tf.constant(text_b))
    return {k: v.numpy() for k, v in out.items()}


# === Pretrainer: signatures and outputs ===


def test_signatures_inputs_outputs_and_assets(pretrainer_export, pretrainer_loaded):
    from tensorflow.core.protobuf import saved_model_pb2

    assert set(pretrainer_loaded.signatures) == {
        "fill_mask", "fill_mask_pair", "embed", "embed_pair", "serving_default"
    }
    with open(os.path.join(pretrainer_export, "saved_model.pb"), "rb") as f:
        meta = saved_model_pb2.SavedModel.FromString(f.read()).meta_graphs[0]
    for name in ("fill_mask", "embed"):
        # Single texts need no text_b (TF Serving 2.12/2.13 ignore SignatureDef defaults).
        assert set(meta.signature_def[name].inputs) == {"text"}
        assert set(meta.signature_def[name + "_pair"].inputs) == {"text", "text_b"}
        for sig in (meta.signature_def[name], meta.signature_def[name + "_pair"]):
            assert all(v.dtype == tf.string.as_datatype_enum for v in sig.inputs.values())
            assert not getattr(sig, "defaults", {})
    fill_mask_outputs = {"top_k_ids", "top_k_tokens", "top_k_strings", "top_k_scores", "mask_positions"}
    assert set(meta.signature_def["fill_mask"].outputs) == fill_mask_outputs
    assert set(meta.signature_def["fill_mask_pair"].outputs) == fill_mask_outputs
    assert set(meta.signature_def["serving_default"].inputs) == {"inputs"}
    assert set(meta.signature_def["serving_default"].outputs) == {"pooled_output", "mean_embedding"}
    assert meta.signature_def["serving_default"].method_name == "tensorflow/serving/predict"
    assert os.path.isfile(os.path.join(pretrainer_export, "assets", "spiece.model"))
    assert not os.path.exists(os.path.join(pretrainer_export, "assets", "labels.txt"))
    info = json.load(open(os.path.join(pretrainer_export, "assets.extra", "export.json")))
    assert info["sequence_length"] == PRETRAINER_T and info["top_k"] == TOP_K and info["kind"] == "pretrainer"


def test_fill_mask_matches_keras(pretrainer, pretrainer_loaded, vocab_dir):
    from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer

    out = _call(pretrainer_loaded, "fill_mask", TEXTS, TEXTS_B)
    inputs = _reference_inputs(_preprocessor(vocab_dir, PRETRAINER_T), TEXTS, TEXTS_B)
    batch, m = out["mask_positions"].shape
    expected_positions = [np.flatnonzero(row == features.MASK_ID) for row in inputs["token_ids"]]
    assert m == max(1, max(len(p) for p in expected_positions))
    assert out["top_k_ids"].shape == out["top_k_scores"].shape == out["top_k_tokens"].shape == (batch, m, TOP_K)
    assert out["top_k_ids"].dtype == np.int32 and out["mask_positions"].dtype == np.int32
    assert out["top_k_scores"].dtype == np.float32
    tokenizer = AlbertTokenizer(vocab_dir)
    for i, positions in enumerate(expected_positions):
        np.testing.assert_array_equal(out["mask_positions"][i, : len(positions)], positions)
        # Padding conventions.
        assert (out["mask_positions"][i, len(positions):] == -1).all()
        assert (out["top_k_ids"][i, len(positions):] == -1).all()
        assert (out["top_k_scores"][i, len(positions):] == 0.0).all()
        assert (out["top_k_tokens"][i, len(positions):] == b"").all()
        if not len(positions):
            continue
        x = {k: v[i : i + 1] for k, v in inputs.items()}
        x["mask_positions"] = positions[None].astype("int32")
        probs = _softmax(np.asarray(pretrainer(x, training=False)["mlm_logits"], "float64"))[0]
        for j in range(len(positions)):
            ids, scores = out["top_k_ids"][i, j], out["top_k_scores"][i, j]
            np.testing.assert_allclose(scores, np.sort(probs[j])[::-1][:TOP_K], atol=1e-5)
            np.testing.assert_allclose(probs[j][ids], scores, atol=1e-5)
            assert [t.decode() for t in out["top_k_tokens"][i, j]] == [tokenizer.id_to_piece(int(k)) for k in ids]


def test_mask_positions_where_the_tokenizer_put_mask(pretrainer_loaded, vocab_dir):
    from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer

    tokenizer = AlbertTokenizer(vocab_dir)
    texts = [CHINESE, ENGLISH_ONE, ENGLISH_TWO]
    out = _call(pretrainer_loaded, "fill_mask", texts)
    for i, text in enumerate(texts):
        ids = tokenizer.tokenize(tf.constant([text])).to_list()[0]
        expected = [1 + k for k, t in enumerate(ids) if t == features.MASK_ID]  # +1 for [CLS]
        assert len(expected) == text.count("[MASK]")
        got = [p for p in out["mask_positions"][i] if p >= 0]
        assert got == expected, text
    assert out["mask_positions"].shape[1] == 2
    # Chinese: ids("猫是") + [MASK] + ids("。"); the mask is right after 猫是.
    chinese_ids = tokenizer.tokenize(tf.constant([CHINESE])).to_list()[0]
    assert chinese_ids[len(tokenizer.tokenize(tf.constant(["猫是"])).to_list()[0])] == features.MASK_ID


def test_no_mask_batch_still_has_one_padded_mask(pretrainer_loaded):
    out = _call(pretrainer_loaded, "fill_mask", ["no mask", ""])
    assert out["mask_positions"].tolist() == [[-1], [-1]]
    assert out["top_k_ids"].shape == (2, 1, TOP_K)


def test_overlong_is_truncated_and_empty_works(pretrainer_loaded):
    out = _call(pretrainer_loaded, "fill_mask", [OVERLONG, "[MASK] " + OVERLONG, ""], [OVERLONG, "", ""])
    # The trailing [MASK] is cut off; the leading one stays at position 1.
    assert out["mask_positions"].tolist() == [[-1], [1], [-1]]
    emb = _call(pretrainer_loaded, "embed", [OVERLONG * 3, ""], [OVERLONG, ""])
    assert emb["pooled_output"].shape == (2, 16) and np.isfinite(emb["mean_embedding"]).all()


def test_embed_and_serving_default_match_keras(pretrainer, pretrainer_loaded, vocab_dir):
    from albert_keras.export.warmup import sample_examples

    out = _call(pretrainer_loaded, "embed", TEXTS, TEXTS_B)
    inputs = _reference_inputs(_preprocessor(vocab_dir, PRETRAINER_T), TEXTS, TEXTS_B)
    encoded = pretrainer.backbone(inputs, training=False)
    seq = np.asarray(encoded["sequence_output"])
    mask = inputs["padding_mask"][:, :, None].astype("float32")
    np.testing.assert_allclose(out["pooled_output"], np.asarray(encoded["pooled_output"]), atol=1e-5)
    np.testing.assert_allclose(out["mean_embedding"], (seq * mask).sum(1) / mask.sum(1), atol=1e-5)
    # serving_default: the same on tf.Examples (text_b absent means one segment).
    examples = [e.SerializeToString() for e in sample_examples(TEXTS, TEXTS_B)]
    by_example = pretrainer_loaded.signatures["serving_default"](inputs=tf.constant(examples))
    np.testing.assert_allclose(by_example["pooled_output"].numpy(), out["pooled_output"], atol=1e-6)
    np.testing.assert_allclose(by_example["mean_embedding"].numpy(), out["mean_embedding"], atol=1e-6)


def test_batches_are_padded_to_their_longest_row_only(pretrainer, vocab_dir):
    from albert_keras.export.module import AlbertServingModule

    module = AlbertServingModule(pretrainer, _preprocessor(vocab_dir, PRETRAINER_T))
    short = module.model_inputs(tf.constant(["science", "science is the study"]), tf.constant(["", "of it"]))
    lengths = short["padding_mask"].numpy().sum(1)
    assert set(short) == {"token_ids", "segment_ids", "padding_mask"}
    assert all(v.shape == (2, lengths.max()) for v in short.values())
    assert 3 <= lengths.min() < lengths.max() < PRETRAINER_T
    full = module.model_inputs(tf.constant([OVERLONG, "x"]), tf.constant(["", ""]))
    assert full["token_ids"].shape == (2, PRETRAINER_T)
    empty = module.model_inputs(tf.constant([], tf.string), tf.constant([], tf.string))
    assert empty["token_ids"].shape[0] == 0


def test_python_attributes_take_text_or_dict(pretrainer_loaded):
    text = tf.constant([ENGLISH_TWO, CHINESE])
    alone = pretrainer_loaded.fill_mask(text)
    with_b = pretrainer_loaded.fill_mask({"text": text, "text_b": tf.constant(["", ""])})
    signature = pretrainer_loaded.signatures["fill_mask"](text=text)
    for key in ("top_k_scores", "mask_positions"):
        np.testing.assert_allclose(alone[key].numpy(), signature[key].numpy(), atol=1e-6)
        np.testing.assert_allclose(with_b[key].numpy(), signature[key].numpy(), atol=1e-6)


# === Ops, warmup, Keras ===


def test_op_allowlist(pretrainer_export, classifier_export):
    from albert_keras.export import op_allowlist

    core = op_allowlist.core_ops()
    assert "MatMul" in core and "SentencepieceOp" not in core  # the subprocess had no tensorflow_text
    for path in (pretrainer_export, classifier_export):
        ops = op_allowlist.check_ops(path)
        text_ops = {op for op in ops if op not in core}
        assert {"SentencepieceOp", "SentencepieceTokenizeOp", "RegexSplitWithOffsets"} <= text_ops
        assert text_ops <= op_allowlist.TF_TEXT_2_12_OPS
        assert not any(op.startswith("TFText>") or op.startswith("Fast") for op in ops)


def test_check_ops_rejects_new_tf_text_ops(monkeypatch, tmp_path):
    from albert_keras.export import op_allowlist

    monkeypatch.setattr(op_allowlist, "saved_model_ops", lambda path: ["MatMul", "TFText>RoundRobinTrim", "NoSuchOp"])
    assert op_allowlist.disallowed_ops(str(tmp_path)) == ["TFText>RoundRobinTrim", "NoSuchOp"]
    with pytest.raises(ValueError, match="RoundRobinTrim"):
        op_allowlist.check_ops(str(tmp_path))
    assert "RoundRobinTrim" not in str(sorted(op_allowlist.TF_TEXT_2_12_OPS))


def test_warmup_records_name_each_signature_and_replay(pretrainer_export, pretrainer_loaded):
    from albert_keras.export.warmup import read_warmup

    logs = read_warmup(pretrainer_export)
    assert all(log.WhichOneof("log_type") == "predict_log" for log in logs)
    names = [log.predict_log.request.model_spec.signature_name for log in logs]
    assert sorted(names) == sorted(pretrainer_loaded.signatures)
    texts = set()
    for log in logs:
        request = log.predict_log.request
        inputs = {k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()}
        out = pretrainer_loaded.signatures[request.model_spec.signature_name](**inputs)
        assert all(v.shape[0] == 4 for v in out.values())
        if "text" in request.inputs:
            texts.update(t.decode() for t in tf.make_ndarray(request.inputs["text"]))
    assert "猫是[MASK]。" in texts and "" in texts


def test_tfsm_layer_in_a_functional_model(pretrainer_export, pretrainer_loaded):
    import keras

    layer = keras.layers.TFSMLayer(pretrainer_export, call_endpoint="fill_mask")
    text = keras.Input(shape=(), dtype="string", name="text")
    model = keras.Model(text, layer(text))
    got = model.predict(tf.constant([ENGLISH_TWO, CHINESE]), verbose=0)
    want = _call(pretrainer_loaded, "fill_mask", [ENGLISH_TWO, CHINESE])
    np.testing.assert_array_equal(np.asarray(got["mask_positions"]), want["mask_positions"])
    np.testing.assert_allclose(np.asarray(got["top_k_scores"]), want["top_k_scores"], atol=1e-6)
    # Pairs: a dict of two string inputs.
    pair_inputs = {"text": keras.Input(shape=(), dtype="string", name="text"),
                   "text_b": keras.Input(shape=(), dtype="string", name="text_b")}
    pair_model = keras.Model(pair_inputs, layer(pair_inputs))
    texts, texts_b = [ENGLISH_TWO, ENGLISH_ONE], ["the sun", ""]
    got = pair_model.predict({"text": tf.constant(texts), "text_b": tf.constant(texts_b)}, verbose=0)
    want = _call(pretrainer_loaded, "fill_mask", texts, texts_b)
    np.testing.assert_array_equal(np.asarray(got["mask_positions"]), want["mask_positions"])
    np.testing.assert_allclose(np.asarray(got["top_k_scores"]), want["top_k_scores"], atol=1e-6)


def test_keras_file_loads_and_matches(pretrainer_export, pretrainer):
    import keras

    from tests.model_helpers import random_inputs

    restored = keras.saving.load_model(os.path.join(pretrainer_export, "assets.extra", "model.keras"))
    x = random_inputs(batch=2, seq_len=10, vocab=VOCAB_SIZE, num_real=[10, 6])
    x["mask_positions"] = np.array([[1, 2], [3, 0]], "int32")
    for key in ("mlm_logits", "sop_logits"):
        np.testing.assert_allclose(
            np.asarray(restored(x)[key]), np.asarray(pretrainer(x)[key]), atol=1e-5
        )


def test_export_and_serving_dir_convert_back_to_a_model_dir(pretrainer_export, pretrainer, vocab_dir, tmp_path):
    from albert_keras import convert, load_model_dir
    from albert_keras.hub import layouts

    serving_dir = os.path.dirname(pretrainer_export)  # versions: 1 (the export) and an empty 0
    os.makedirs(os.path.join(serving_dir, "0"), exist_ok=True)
    assert layouts.detect(pretrainer_export).name == "serving_export"
    assert layouts.detect(serving_dir).name == "serving_versions"
    out = str(tmp_path / "model")
    convert.from_serving_export(serving_dir, out)
    restored = load_model_dir(out)
    with open(os.path.join(vocab_dir, "spiece.model"), "rb") as f, open(os.path.join(out, "spiece.model"), "rb") as g:
        assert f.read() == g.read()
    x = {k: v.numpy() for k, v in _preprocessor(out, PRETRAINER_T)(tf.constant(["猫是[MASK]。"])).items()}
    x["mask_positions"] = np.array([[1, 2]], "int32")
    np.testing.assert_allclose(
        np.asarray(restored(x)["mlm_logits"]), np.asarray(pretrainer(x)["mlm_logits"]), atol=1e-5
    )
    with pytest.raises(ValueError, match="must be a SavedModel export"):
        convert.from_serving_export(str(tmp_path), str(tmp_path / "x"))


# === Classifier (exported with `albert export` from a model directory) ===


def test_classifier_signatures_assets_and_method(classifier_export, classifier_loaded):
    from tensorflow.core.protobuf import saved_model_pb2

    assert set(classifier_loaded.signatures) == {"classify", "classify_pair", "embed", "embed_pair", "serving_default"}
    with open(os.path.join(classifier_export, "saved_model.pb"), "rb") as f:
        meta = saved_model_pb2.SavedModel.FromString(f.read()).meta_graphs[0]
    default = meta.signature_def["serving_default"]
    assert default.method_name == "tensorflow/serving/classify"
    assert set(default.inputs) == {"inputs"} and set(default.outputs) == {"scores", "classes"}
    with open(os.path.join(classifier_export, "assets", "labels.txt")) as f:
        assert f.read().split("\n")[:-1] == LABELS
    info = json.load(open(os.path.join(classifier_export, "assets.extra", "export.json")))
    assert info["sequence_length"] == MAX_LEN and info["class_labels"] == LABELS


def test_classify_matches_keras_and_uses_class_labels(classifier, classifier_loaded, vocab_dir):
    from albert_keras.export.warmup import sample_examples

    out = _call(classifier_loaded, "classify", TEXTS, TEXTS_B)
    inputs = _reference_inputs(_preprocessor(vocab_dir, MAX_LEN), TEXTS, TEXTS_B)
    probs = _softmax(np.asarray(classifier(inputs, training=False), "float64"))
    np.testing.assert_allclose(out["probabilities"], probs, atol=1e-5)
    np.testing.assert_array_equal(out["class_ids"], probs.argmax(-1))
    assert out["class_ids"].dtype == np.int32
    assert [label.decode() for label in out["class_labels"]] == [LABELS[i] for i in probs.argmax(-1)]
    examples = [e.SerializeToString() for e in sample_examples(TEXTS, TEXTS_B)]
    by_example = classifier_loaded.signatures["serving_default"](inputs=tf.constant(examples))
    np.testing.assert_allclose(by_example["scores"].numpy(), probs, atol=1e-5)
    assert by_example["classes"].numpy().tolist() == [[label.encode() for label in LABELS]] * len(TEXTS)


def test_classifier_warmup_has_classify_log(classifier_export):
    from albert_keras.export.warmup import read_warmup

    logs = read_warmup(classifier_export)
    kinds = [log.WhichOneof("log_type") for log in logs]
    assert kinds.count("classify_log") == 1
    predict_names = {log.predict_log.request.model_spec.signature_name for log in logs if log.HasField("predict_log")}
    assert predict_names == {"classify", "classify_pair", "embed", "embed_pair", "serving_default"}


# === Errors ===


def test_export_errors(pretrainer, tmp_path, vocab_dir):
    from albert_keras.export import export_saved_model

    with pytest.raises(ValueError, match="spm_path"):
        export_saved_model(pretrainer, str(tmp_path / "a" / "1"))
    (tmp_path / "b" / "1").mkdir(parents=True)
    (tmp_path / "b" / "1" / "x").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        export_saved_model(pretrainer, str(tmp_path / "b" / "1"), spm_path=vocab_dir)
    with pytest.raises(ValueError, match="sequence_length"):
        export_saved_model(pretrainer, str(tmp_path / "c" / "1"), spm_path=vocab_dir, sequence_length=MAX_LEN + 1)
    assert not (tmp_path / "c" / "1").exists()


# === The local TF-Serving-compatible server of serving/ ===


def test_local_server_servable_loads_and_replays_warmup(classifier_export, classifier_servable, classifier,
                                                         vocab_dir):
    from albert_keras.export.warmup import read_warmup
    from serving.server.warmup import replay_warmup

    servable = classifier_servable
    assert replay_warmup(servable) == len(read_warmup(classifier_export))
    # The single-text signature takes only text.
    text = np.array([t.encode() for t in (ENGLISH_ONE, CHINESE)], dtype=object)
    out = servable.predict("classify", {"text": text})
    inputs = _reference_inputs(_preprocessor(vocab_dir, MAX_LEN), [ENGLISH_ONE, CHINESE], ["", ""])
    probs = _softmax(np.asarray(classifier(inputs, training=False), "float64"))
    np.testing.assert_allclose(out["probabilities"], probs, atol=1e-5)
    assert servable.signature("serving_default").classifiable


SHORT_REQUESTS = [("no mask",), ("", "猫是。")]  # 3 rows of <= 16 bytes, with text_b "the sun"
LONG_REQUESTS = [(OVERLONG,), ("[MASK] " + OVERLONG, OVERLONG[:600])]  # 3 rows of 513-1024 bytes


@pytest.mark.parametrize("name", ["classify_pair", "embed"])
def test_local_server_length_grouped_batches_give_the_ungrouped_outputs(classifier_servable, name):
    from serving.server.batching import DEFAULT_LENGTH_BUCKETS, Batcher
    from tests.serving_fixtures import run_concurrently

    signature = classifier_servable.signature(name)
    requests = []
    for texts in SHORT_REQUESTS + LONG_REQUESTS:
        request = {"text": np.array([t.encode() for t in texts], dtype=object)}
        if name.endswith("_pair"):
            request["text_b"] = np.array([b"the sun"] * len(texts), dtype=object)
        requests.append(request)
    outputs = {}
    for grouped in (True, False):
        sizes = []

        def run(inputs, sizes=sizes):
            sizes.append(len(inputs["text"]))
            return signature.run(inputs)

        # Full batches run at once (the 30 s timeout is never reached): one of 3 rows per
        # length group, or one of all 6 rows.
        batcher = Batcher(run, 3 if grouped else 6, timeout_s=30.0,
                          length_buckets=DEFAULT_LENGTH_BUCKETS if grouped else None)
        if grouped:
            buckets = [batcher.bucket(r) for r in requests]
            assert buckets[0] == buckets[1] < buckets[2] == buckets[3], buckets
        outputs[grouped] = run_concurrently(batcher, requests)
        assert sizes == ([3, 3] if grouped else [6])
    for request, grouped, ungrouped in zip(requests, outputs[True], outputs[False], strict=True):
        assert set(grouped) == set(ungrouped)
        for k, v in grouped.items():
            assert v.shape[0] == len(request["text"]), k
            if v.dtype.kind == "f":
                np.testing.assert_allclose(v, ungrouped[k], atol=1e-5, rtol=0, err_msg=k)
            else:
                np.testing.assert_array_equal(v, ungrouped[k], err_msg=k)


def test_core_ops_come_from_the_disk_cache_without_a_subprocess(tmp_path, monkeypatch):
    """`core_ops()` called first (no `prefetch_core_ops` before it) reads the cached list, starts nothing."""
    from albert_keras.export import op_allowlist

    monkeypatch.setenv("ALBERT_KERAS_HOME", str(tmp_path))
    cached = frozenset(f"Op{i}" for i in range(200))
    op_allowlist._write_cache(cached)
    monkeypatch.setattr(op_allowlist, "_CORE_OPS", None)
    monkeypatch.setattr(op_allowlist, "_PENDING", None)

    def no_subprocess(*args, **kwargs):
        raise AssertionError("core_ops listed the ops again although the cache holds them")

    monkeypatch.setattr(op_allowlist.subprocess, "Popen", no_subprocess)
    assert op_allowlist.core_ops() == cached
