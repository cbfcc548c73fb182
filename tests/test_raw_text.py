"""Raw strings in, decoded answers out: every task holds its preprocessor.

Tiny random models on the bundled test vocabularies (tests/data/spm, a
SentencePiece model, and tests/data/wordpiece, a BERT vocab.txt).
"""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from albert_keras import (
    AlbertClassifier,
    AlbertMultipleChoice,
    AlbertPretrainer,
    AlbertQuestionAnswerer,
    AlbertTokenClassifier,
    load_model_dir,
    save_model_dir,
)
from albert_keras.preprocessing.preprocessor import AlbertPreprocessor
from albert_keras.tasks import fill_mask as fill_mask_lib
from albert_keras.tasks.task import trim_padding
from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer
from tests.model_helpers import randomize_weights, tiny_backbone

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
VOCABS = {"spm": os.path.join(DATA, "spm"), "wordpiece": os.path.join(DATA, "wordpiece")}
T = 16
KEYS = {"score", "token", "token_id", "token_str", "sequence"}
# fit/evaluate run eagerly here: these tests check the raw-text data path (a tf.data map either way);
# graph-mode training of the tasks is tested in tests/test_training_*.py. Tracing a train step costs ~30 s.
EAGER = True


def _preprocessor(kind):
    return AlbertPreprocessor.from_vocab_dir(VOCABS[kind], sequence_length=T)


def _backbone(preprocessor):
    # One unshared layer: these tests are about the text plumbing, and each eager step of the 2 x 2 shared
    # backbone cost ~1 s here (three times the variables for Adam to update op by op).
    return tiny_backbone(vocabulary_size=preprocessor.tokenizer.vocabulary_size(), max_sequence_length=T,
                         num_layers=1, num_groups=1, num_inner_repetitions=1)


def _pretrainer(kind, seed=0):
    preprocessor = _preprocessor(kind)
    model = AlbertPretrainer(_backbone(preprocessor), preprocessor=preprocessor)
    randomize_weights(model, seed=seed, scale=0.5)
    return model


@pytest.fixture(scope="module", params=sorted(VOCABS))
def pretrainer(request):
    return _pretrainer(request.param)


def _assert_candidates(candidates, text, mask_index, mask_token, top_k):
    assert isinstance(candidates, list) and len(candidates) == top_k
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert 0 < sum(scores) <= 1 + 1e-9
    for c in candidates:
        assert set(c) == KEYS and isinstance(c["token"], int) and c["token"] == c["token_id"]
        assert "\u2581" not in c["token_str"] and not c["token_str"].startswith("##")
        parts = text.split(mask_token)
        expected = mask_token.join(parts[: mask_index + 1]) + c["token_str"] + mask_token.join(parts[mask_index + 1 :])
        assert c["sequence"] == expected


def _flat(answers):
    if isinstance(answers, dict):
        return [answers]
    return [c for a in answers for c in _flat(a)]


def _assert_same_answers(actual, expected):
    """The same candidates (and nesting), scores within float32 noise."""
    assert len(actual) == len(expected)
    a, e = _flat(actual), _flat(expected)
    assert [{k: v for k, v in c.items() if k != "score"} for c in a] == [
        {k: v for k, v in c.items() if k != "score"} for c in e
    ]
    np.testing.assert_allclose([c["score"] for c in a], [c["score"] for c in e], rtol=1e-4)


# === fill_mask ===


def test_fill_mask_single_text_single_mask_is_a_flat_list(pretrainer):
    text = "猫是[MASK]。"
    out = pretrainer.fill_mask(text, top_k=4)
    _assert_candidates(out, text, 0, "[MASK]", 4)
    # A list of one text is flattened too, as HF's pipeline does.
    assert pretrainer.fill_mask([text], top_k=4) == out


def test_fill_mask_several_masks_and_texts_nest_like_hf(pretrainer):
    texts = ["The [MASK] sat on the [MASK].", "猫是[MASK]。"]
    out = pretrainer.fill_mask(texts, top_k=3)
    assert len(out) == 2
    assert len(out[0]) == 2  # one list per mask
    for j, candidates in enumerate(out[0]):
        _assert_candidates(candidates, texts[0], j, "[MASK]", 3)
        assert all(c["sequence"].count("[MASK]") == 1 for c in candidates)  # the other mask is kept
    _assert_candidates(out[1], texts[1], 0, "[MASK]", 3)
    # Batching does not change the answers.
    _assert_same_answers(pretrainer.fill_mask(texts, top_k=3, batch_size=1), out)


def test_fill_mask_scores_are_the_full_softmax_of_the_mlm_logits(pretrainer):
    text = "a [MASK] of tea"
    preprocessor = pretrainer.preprocessor
    inputs = {k: np.asarray(v) for k, v in preprocessor([text]).items()}
    position = int(np.flatnonzero(inputs["token_ids"][0] == preprocessor.tokenizer.special_ids.mask)[0])
    inputs["mask_positions"] = np.array([[position]], "int32")
    logits = np.asarray(pretrainer(inputs, training=False)["mlm_logits"], np.float64)[0, 0]  # untrimmed, by hand
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    best = np.argsort(-probs, kind="stable")[:5]
    out = pretrainer.fill_mask(text, top_k=5)
    assert [c["token"] for c in out] == best.tolist()
    np.testing.assert_allclose([c["score"] for c in out], probs[best], rtol=1e-5)
    wordpiece = isinstance(preprocessor.tokenizer, WordPieceTokenizer)
    piece = preprocessor.tokenizer.id_to_piece(int(best[0]))
    assert out[0]["token_str"] == fill_mask_lib.piece_text(piece, wordpiece=wordpiece)


def test_fill_mask_targets_restrict_the_candidates_and_keep_full_softmax_scores(pretrainer):
    text = "猫是[MASK]。"
    everything = pretrainer.fill_mask(text, top_k=pretrainer.backbone.vocabulary_size)
    by_id = {c["token"]: c["score"] for c in everything}
    targets = ["的", "是", "猫"]
    tokenizer = pretrainer.preprocessor.tokenizer
    target_ids = pretrainer._target_ids(targets)
    assert len(target_ids) == 3
    out = pretrainer.fill_mask(text, top_k=10, targets=targets)  # top_k capped at the 3 targets
    assert len(out) == 3
    assert {c["token"] for c in out} == set(target_ids)
    assert {c["token_str"] for c in out} == set(targets)
    for c in out:
        assert c["score"] == pytest.approx(by_id[c["token"]], rel=1e-6)
        assert tokenizer.id_to_piece(c["token"]).replace("\u2581", "") == c["token_str"]
    assert [c["token"] for c in pretrainer.fill_mask(text, top_k=1, targets="猫")] == [target_ids[2]]


def test_fill_mask_token_str_is_detokenized_for_both_vocabularies():
    assert fill_mask_lib.piece_text("\u2581the", wordpiece=False) == "the"
    assert fill_mask_lib.piece_text("\u2581", wordpiece=False) == ""
    assert fill_mask_lib.piece_text("猫", wordpiece=False) == "猫"
    assert fill_mask_lib.piece_text("##们", wordpiece=True) == "们"
    assert fill_mask_lib.piece_text("[UNK]", wordpiece=True) == "[UNK]"
    for kind in VOCABS:
        model = _pretrainer(kind)
        out = model.fill_mask("the [MASK] and the cat", top_k=model.backbone.vocabulary_size)
        assert all("\u2581" not in c["token_str"] and not c["token_str"].startswith("##") for c in out)


def test_fill_mask_rejects_text_without_mask_and_bad_arguments(pretrainer):
    with pytest.raises(ValueError, match=r"\[MASK\]"):
        pretrainer.fill_mask(["猫是[MASK]。", "no mask here"])
    with pytest.raises(ValueError, match="top_k"):
        pretrainer.fill_mask("猫是[MASK]。", top_k=0)
    with pytest.raises(ValueError, match="targets"):
        pretrainer.fill_mask("猫是[MASK]。", targets=[])
    no_preprocessor = AlbertPretrainer(pretrainer.backbone)
    with pytest.raises(ValueError, match="preprocessor"):
        no_preprocessor.fill_mask("猫是[MASK]。")


# === predict / fit / evaluate on strings ===


def test_pretrainer_predict_on_strings_matches_token_ids(pretrainer):
    texts = ["猫是[MASK]。", "the [MASK] sat on the [MASK]"]
    outputs = pretrainer.predict(texts, verbose=0)
    inputs = {k: np.asarray(v) for k, v in pretrainer.preprocessor(texts).items()}
    mask_id = pretrainer.preprocessor.tokenizer.special_ids.mask
    positions, counts = fill_mask_lib.mask_positions(inputs["token_ids"], mask_id, width=20)
    inputs["mask_positions"] = positions
    expected = pretrainer.predict(inputs, verbose=0)
    assert outputs["mlm_logits"].shape == (2, 20, pretrainer.backbone.vocabulary_size)
    assert counts.tolist() == [1, 2]
    np.testing.assert_allclose(outputs["mlm_logits"], expected["mlm_logits"], atol=1e-5)


def test_pretrainer_fits_and_evaluates_raw_text_with_dynamic_masks():
    keras.utils.set_random_seed(0)  # the masks and SOP swaps are drawn per epoch: the same draws every run
    model = _pretrainer("wordpiece")  # WordPiece word starts (## pieces); the SentencePiece ones in test_readme
    model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=EAGER)
    texts = ["the cat sat on the mat", "猫是动物。", "a cup of tea and a cake", "我们的狗"]
    history = model.fit(texts, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert history.history["mlm_loss"][-1] < history.history["mlm_loss"][0]
    # Pairs in a tf.data pipeline of strings, unbatched: swapped for SOP, masked for MLM.
    dataset = tf.data.Dataset.from_tensor_slices({"text": texts[:2], "text_b": texts[2:]})
    results = model.evaluate(dataset, verbose=0, return_dict=True)
    assert {"loss", "mlm_loss", "sop_loss", "mlm_accuracy", "sop_accuracy"} <= set(results)
    assert np.isfinite(results["loss"])


def _classifier(kind, num_classes=2, labels=("neg", "pos")):
    preprocessor = _preprocessor(kind)
    model = AlbertClassifier(
        _backbone(preprocessor), num_classes=num_classes, dropout=0.0, class_labels=labels, preprocessor=preprocessor
    )
    randomize_weights(model, seed=2)
    return model


def test_classifier_predict_fit_evaluate_take_strings_and_token_ids_still_work():
    model = _classifier("spm")
    texts = ["a very good cup of tea", "bad", "good good", "the worst cake"]
    labels = np.array([1, 0, 1, 0])
    token_inputs = {k: np.asarray(v) for k, v in model.preprocessor(texts).items()}
    np.testing.assert_allclose(
        model.predict(texts, verbose=0), model.predict(token_inputs, verbose=0), atol=1e-5
    )
    np.testing.assert_allclose(model.predict(np.array(texts), verbose=0), model.predict(token_inputs, verbose=0),
                               atol=1e-5)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=EAGER)
    before = model.evaluate(token_inputs, labels, verbose=0, return_dict=True)["loss"]
    history = model.fit(texts, labels, batch_size=4, epochs=3, verbose=0, validation_data=(texts, labels))
    assert "val_accuracy" in history.history and len(history.history["loss"]) == 3
    by_ids = model.evaluate(token_inputs, labels, verbose=0, return_dict=True)  # token ids go to Keras unchanged
    assert by_ids["loss"] < before  # fit on strings trained the model
    by_text = model.evaluate(texts, labels, verbose=0, return_dict=True)
    assert by_text["accuracy"] == by_ids["accuracy"]
    assert by_text["loss"] == pytest.approx(by_ids["loss"], rel=1e-5)
    dataset = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(3)
    assert model.evaluate(dataset, verbose=0, return_dict=True)["loss"] == pytest.approx(by_ids["loss"], rel=1e-5)
    best = model.predict(token_inputs, verbose=0).argmax(-1)
    assert model.predict_labels(texts) == [("neg", "pos")[i] for i in best]


def test_classifier_pairs_as_tuples_and_dicts():
    model = _classifier("spm")
    a, b = ["the cat", "a dog"], ["sat down", "ran away"]
    token_inputs = {k: np.asarray(v) for k, v in model.preprocessor((a, b)).items()}
    assert (token_inputs["segment_ids"] == 1).any()
    expected = model.predict(token_inputs, verbose=0)
    np.testing.assert_allclose(model.predict((a, b), verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(model.predict({"text": a, "text_b": b}, verbose=0), expected, atol=1e-5)


def test_classify_returns_labels_and_softmax_scores_like_hf():
    model = _classifier("spm", num_classes=3, labels=("a", "b", "c"))
    texts = ["one text", "another one"]
    logits = model.predict(texts, verbose=0).astype("float64")
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    top = model.classify(texts)
    assert [r["label"] for r in top] == [("a", "b", "c")[i] for i in probs.argmax(-1)]
    np.testing.assert_allclose([r["score"] for r in top], probs.max(-1), rtol=1e-5)
    every = model.classify(texts, top_k=None)
    assert [len(r) for r in every] == [3, 3]
    assert all([c["score"] for c in r] == sorted([c["score"] for c in r], reverse=True) for r in every)
    np.testing.assert_allclose([sum(c["score"] for c in r) for r in every], [1.0, 1.0])
    _assert_same_answers(model.classify("one text", top_k=2), every[0][:2])
    _assert_same_answers(model.classify("one text"), top[:1])
    unnamed = AlbertClassifier(model.backbone, num_classes=3, preprocessor=model.preprocessor)
    assert {r["label"] for r in unnamed.classify(texts)} <= {"0", "1", "2"}


def test_token_classifier_and_question_answerer_take_strings():
    preprocessor = _preprocessor("wordpiece")
    backbone = _backbone(preprocessor)
    tagger = AlbertTokenClassifier(backbone, num_classes=3, preprocessor=preprocessor)
    texts = ["我们的猫", "the cat"]
    token_inputs = {k: np.asarray(v) for k, v in preprocessor(texts).items()}
    np.testing.assert_allclose(tagger.predict(texts, verbose=0), tagger.predict(token_inputs, verbose=0), atol=1e-5)
    qa = AlbertQuestionAnswerer(backbone, preprocessor=preprocessor)
    pair = (["who sat?"], ["the cat sat"])
    out = qa.predict(pair, verbose=0)
    expected = qa.predict({k: np.asarray(v) for k, v in preprocessor(pair).items()}, verbose=0)
    np.testing.assert_allclose(out["start_logits"], expected["start_logits"], atol=1e-4)


def test_multiple_choice_takes_contexts_and_choices():
    preprocessor = _preprocessor("spm")
    model = AlbertMultipleChoice(_backbone(preprocessor), dropout=0.0, preprocessor=preprocessor)
    randomize_weights(model, seed=4)
    contexts = ["the cat is", "tea is"]
    choices = [["small", "a planet", "blue"], ["hot", "cold", "a dog"]]
    scores = model.predict({"context": contexts, "choices": choices}, verbose=0)
    assert scores.shape == (2, 3)
    packed = preprocessor((["the cat is"] * 3, choices[0]))
    by_hand = model.predict({k: np.asarray(v)[np.newaxis] for k, v in packed.items()}, verbose=0)
    np.testing.assert_allclose(scores[:1], by_hand, atol=1e-5)
    np.testing.assert_allclose(model.predict((contexts, choices), verbose=0), scores, atol=1e-6)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), run_eagerly=EAGER)
    history = model.fit((contexts, choices), np.array([0, 0]), epochs=2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_trim_padding_keeps_the_outputs_on_real_tokens():
    model = _classifier("spm")
    inputs = {k: np.asarray(v) for k, v in model.preprocessor(["short", "a bit longer text"]).items()}
    trimmed = trim_padding(inputs)
    assert trimmed["token_ids"].shape[1] == int(inputs["padding_mask"].sum(-1).max()) < T
    np.testing.assert_allclose(model(trimmed), model(inputs), atol=1e-5)


# === The preprocessor is kept ===


@pytest.mark.parametrize("kind", sorted(VOCABS))
def test_preprocessor_survives_keras_file_and_model_dir_round_trips(kind, tmp_path):
    model = _classifier(kind)
    tokenizer_class = AlbertTokenizer if kind == "spm" else WordPieceTokenizer
    texts = ["猫是动物。", "the cat"]
    expected = model.predict(texts, verbose=0)
    model.save(str(tmp_path / "model.keras"))
    restored = keras.saving.load_model(str(tmp_path / "model.keras"))
    assert isinstance(restored.preprocessor.tokenizer, tokenizer_class)
    assert restored.preprocessor.sequence_length == T
    np.testing.assert_allclose(restored.predict(texts, verbose=0), expected, atol=1e-5)
    # A model dir saved without a vocabulary argument writes the preprocessor's own.
    save_model_dir(model, str(tmp_path / "dir"))
    config = json.load(open(tmp_path / "dir" / "config.json"))
    assert "preprocessor" not in config["config"]
    assert json.load(open(tmp_path / "dir" / "preprocessor.json")) == {"sequence_length": T}
    loaded = load_model_dir(str(tmp_path / "dir"))
    assert isinstance(loaded.preprocessor.tokenizer, tokenizer_class)
    assert loaded.preprocessor.tokenizer.vocabulary_size() == model.preprocessor.tokenizer.vocabulary_size()
    np.testing.assert_allclose(loaded.predict(texts, verbose=0), expected, atol=1e-5)
    _assert_same_answers(loaded.classify(texts), model.classify(texts))
    again = AlbertClassifier.from_preset(str(tmp_path / "dir"))
    assert again.preprocessor is not None and again.predict_labels(texts) == model.predict_labels(texts)
    # New heads on the directory's backbone get the directory's preprocessor too.
    fresh = AlbertClassifier.from_preset(str(tmp_path / "dir"), num_classes=5)
    assert fresh.num_classes == 5 and isinstance(fresh.preprocessor.tokenizer, tokenizer_class)


def test_model_dir_without_preprocessor_json_still_loads_with_one(tmp_path):
    """A model dir written before tasks held preprocessors (no preprocessor.json) gets one at T = max length."""
    preprocessor = _preprocessor("spm")
    model = AlbertPretrainer(_backbone(preprocessor))
    save_model_dir(model, str(tmp_path / "old"), vocab_path=VOCABS["spm"])
    assert not os.path.exists(tmp_path / "old" / "preprocessor.json")
    loaded = load_model_dir(str(tmp_path / "old"))
    assert isinstance(loaded.preprocessor.tokenizer, AlbertTokenizer)
    assert loaded.preprocessor.sequence_length == T  # the backbone's max_sequence_length
    assert len(loaded.fill_mask("猫是[MASK]。", top_k=2)) == 2
    bare = tmp_path / "bare"
    save_model_dir(model, str(bare))  # no vocabulary at all: no preprocessor
    assert load_model_dir(str(bare)).preprocessor is None


def test_preprocessor_argument_is_checked():
    with pytest.raises(ValueError, match="preprocessor"):
        AlbertClassifier(tiny_backbone(), num_classes=2, preprocessor="spm")
    model = AlbertClassifier(tiny_backbone(), num_classes=2)
    with pytest.raises(ValueError, match="preprocessor"):
        model.predict(["a text"])


# === albert fill-mask ===


def test_cli_fill_mask_prints_a_table_and_hf_json(tmp_path, capsys):
    from albert_keras import cli

    model = _pretrainer("wordpiece", seed=3)
    save_model_dir(model, str(tmp_path / "model"))
    text = "猫是[MASK]。"
    assert cli.main(["fill-mask", str(tmp_path / "model"), text, "--top-k", "2", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    _assert_same_answers(printed, model.fill_mask(text, top_k=2))
    assert cli.main(["fill-mask", str(tmp_path / "model"), text, "--targets", "猫,狗"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0] == text
    rows = table.splitlines()[2:]
    assert len(rows) == 2 and {row.split()[3] for row in rows} == {"猫", "狗"}
    assert all(row.split()[4] in ("猫是猫。", "猫是狗。") for row in rows)
    assert cli.main(["fill-mask", str(tmp_path / "model"), "no mask"]) == 1
    assert "[MASK]" in capsys.readouterr().err
