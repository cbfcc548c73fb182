"""Raw text in, answers out: offsets, QA / BIO / choice decoding, and the served task signatures.

Decoding correctness uses hand-made logits (a planted best span must come
back with exactly its character offsets); the export round trips use tiny
random models (mechanics: the served signature equals the Python method,
TFSMLayer loads it, its ops are allowed and its warmup replays).
"""

import os

import numpy as np
import pytest
import tensorflow as tf

from tests.model_helpers import randomize_weights

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SPM_DIR = os.path.join(DATA, "spm")
WORDPIECE_DIR = os.path.join(DATA, "wordpiece")
T = 32
NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]

ENGLISH_QUESTION = "Capital of France?"
ENGLISH_CONTEXT = "It is Paris, a city of art."
CHINESE_QUESTION = "中国的首都是哪里？"
CHINESE_CONTEXT = "中国的首都是北京，一座古城。"


@pytest.fixture(scope="module", params=["spm", "wordpiece"])
def tokenizer(request):
    from albert_keras.tokenizer.loading import load_tokenizer

    return load_tokenizer(SPM_DIR if request.param == "spm" else WORDPIECE_DIR)


@pytest.fixture(scope="module")
def wordpiece():
    from albert_keras.tokenizer.loading import load_tokenizer

    return load_tokenizer(WORDPIECE_DIR)


def _backbone(tokenizer):
    from albert_keras import AlbertBackbone

    return AlbertBackbone(
        vocabulary_size=tokenizer.vocabulary_size(), num_layers=1, num_heads=2, embedding_dim=8, hidden_dim=16,
        intermediate_dim=32, max_sequence_length=T,
    )


# === Offsets ===


def test_offsets_keep_the_ids_and_point_into_the_raw_text(tokenizer):
    from albert_keras.tokenizer.offsets import tokenize_with_offsets

    # (北京 is one <unk> of two characters in the SentencePiece test vocabulary: its own word here,
    # as a word whose pieces do not add up falls back to the whole word's offsets.)
    texts = ["The Café  naïve [MASK]. In 2014, ok", "猫是[MASK]。 北京", "  spaced\tout  ", ""]
    out = tokenize_with_offsets(tokenizer, tf.constant(texts))
    assert out["ids"].to_list() == tokenizer.tokenize(tf.constant(texts)).to_list()
    for text, ids, starts, ends in zip(texts, *(out[k].to_list() for k in ("ids", "starts", "ends")), strict=True):
        spans = {tokenizer.id_to_piece(i): text[s:e] for i, s, e in zip(ids, starts, ends, strict=True)}
        assert all(0 <= s <= e <= len(text) for s, e in zip(starts, ends, strict=True))
        assert starts == sorted(starts)
        if "[MASK]" in text:
            assert spans["[MASK]"] == "[MASK]"
        if text.startswith("The Café"):
            # Lowercased and accent-stripped pieces map back to the raw characters.
            assert "".join(text[s:e] for s, e in zip(starts, ends, strict=True)).startswith("TheCafénaïve")
        if text.startswith("  spaced"):
            assert "".join(text[s:e] for s, e in zip(starts, ends, strict=True)) == "spacedout"
    chinese = out["starts"].to_list()[1], out["ends"].to_list()[1]
    pieces = [texts[1][s:e] for s, e in zip(*chinese, strict=True)]
    assert "。" in pieces and "猫" in "".join(pieces)


def test_split_cjk_makes_each_character_a_word(wordpiece):
    from albert_keras.tokenizer.offsets import split_words, tokenize_with_offsets

    words, starts, ends = split_words(wordpiece, tf.constant(["李白 lives in 北京."]), split_cjk=True)
    assert [w.decode() for w in words.to_list()[0]] == ["李", "白", "lives", "in", "北", "京", "."]
    assert starts.to_list()[0] == [0, 1, 3, 9, 12, 13, 14] and ends.to_list()[0] == [1, 2, 8, 11, 13, 14, 15]
    out = tokenize_with_offsets(wordpiece, tf.constant(["北京 resumé"]), split_cjk=True)
    first = out["word_starts"].to_list()[0]
    begin, end = out["word_begin"].to_list()[0], out["word_end"].to_list()[0]
    assert [(b, e) for b, e, f in zip(begin, end, first, strict=True) if f] == [(0, 1), (1, 2), (3, 9)]


# === QA decoding (hand-made logits) ===


def _planted_model(start_at, end_at, null=False, width=None):
    """A stand-in QA model: logits 8 at start_at/end_at (per row), 10 on [CLS] when `null`."""

    def model(inputs, training=False):
        length = inputs["token_ids"].shape[1] if width is None else width
        start = np.zeros((len(start_at), length), "float32")
        end = np.zeros((len(start_at), length), "float32")
        for row, (i, j) in enumerate(zip(start_at, end_at, strict=True)):
            start[row, i], end[row, j] = 8.0, 8.0
            if null:
                start[row, 0], end[row, 0] = 10.0, 10.0
        return {"start_logits": tf.constant(start), "end_logits": tf.constant(end)}

    return model


def _token_span(offsets, row, char_start, char_end):
    starts, ends = offsets["starts"].numpy()[row], offsets["ends"].numpy()[row]
    first = int(np.flatnonzero(starts == char_start)[0])
    last = int(np.flatnonzero(ends == char_end)[-1])
    return first, last


@pytest.mark.parametrize("question,context,answer", [
    (ENGLISH_QUESTION, ENGLISH_CONTEXT, "Paris"),
    (CHINESE_QUESTION, CHINESE_CONTEXT, "北京"),
])
def test_planted_span_comes_back_with_its_character_offsets(tokenizer, wordpiece, question, context, answer):
    from albert_keras.tasks import decoding

    if answer == "北京":
        # The SentencePiece test vocabulary has no piece for 北京 (one <unk> of two characters, so the
        # whole unspaced context would be one span; see tokenizer/offsets.py); BERT's vocab.txt has them.
        tokenizer = wordpiece
    char_start = context.index(answer)
    char_end = char_start + len(answer)
    _, offsets = decoding.encode_pair_with_offsets(tokenizer, [question], [context], T)
    first, last = _token_span(offsets, 0, char_start, char_end)
    out = decoding.answer_question(_planted_model([first], [last]), tokenizer, [question], [context], T)
    assert out["answer"].numpy()[0].decode() == answer
    assert (int(out["start"][0]), int(out["end"][0])) == (char_start, char_end)
    assert float(out["score"][0]) > 0.5 > float(out["no_answer_score"][0])
    # The null answer wins when [CLS] scores higher.
    out = decoding.answer_question(_planted_model([first], [last], null=True), tokenizer, [question], [context], T)
    assert out["answer"].numpy()[0] == b"" and int(out["start"][0]) == int(out["end"][0]) == -1
    assert float(out["no_answer_score"][0]) > float(out["score"][0])


def test_best_spans_stay_in_the_context_and_within_max_answer_length():
    from albert_keras.tasks.decoding import best_spans

    start = np.zeros((1, 8), "float32")
    end = np.zeros((1, 8), "float32")
    start[0, 1], end[0, 2] = 20.0, 20.0  # in the question: not allowed
    start[0, 4], end[0, 7] = 5.0, 5.0  # 4 tokens
    start[0, 5], end[0, 6] = 3.0, 3.0
    context = np.array([[False, False, False, False, True, True, True, True]])
    out = best_spans(start, end, context, max_answer_length=4)
    assert (int(out["start_index"][0]), int(out["end_index"][0])) == (4, 7)
    out = best_spans(start, end, context, max_answer_length=3)
    assert int(out["end_index"][0]) - int(out["start_index"][0]) < 3
    assert bool(out["has_answer"][0])
    none = best_spans(start, end, np.zeros((1, 8), bool))
    assert not bool(none["has_answer"][0]) and float(none["score"][0]) == 0.0


# === Tagging (BIO) ===


def test_bio_entities_with_offsets():
    from albert_keras.tasks.decoding import bio_entities

    text = "John Smith lives in New York . Li Bai"
    words = text.split(" ")
    begins, position = [], 0
    for word in words:
        begins.append(text.index(word, position))
        position = begins[-1] + len(word)
    ends = [b + len(w) for b, w in zip(begins, words, strict=True)]
    #        John Smith lives in New York .  Li Bai
    labels = [1, 2, 0, 0, 3, 4, 0, 2, 1]  # I-PER after O starts an entity; B after I starts another
    ragged = lambda v: tf.ragged.constant([v, []])  # noqa: E731  (a second, empty row)
    out = bio_entities(ragged(labels), ragged([0.9] * len(labels)), ragged(begins), ragged(ends),
                       tf.constant([text, ""]), NER_LABELS)
    got = [(out["entity_labels"][0, j].numpy().decode(), out["entity_texts"][0, j].numpy().decode(),
            int(out["entity_starts"][0, j]), int(out["entity_ends"][0, j]))
           for j in range(int(out["num_entities"][0]))]
    assert got == [("PER", "John Smith", 0, 10), ("LOC", "New York", 20, 28), ("PER", "Li", 31, 33),
                   ("PER", "Bai", 34, 37)]
    assert out["num_entities"].numpy().tolist() == [4, 0]
    assert out["entity_texts"][1].numpy().tolist() == [b""] * 4 and (out["entity_starts"][1].numpy() == -1).all()


def test_tag_decodes_first_pieces_of_words_in_chinese(wordpiece):
    from albert_keras.tasks import decoding

    text = "我爱北京天安门。"
    wanted = {"我": "B-PER", "北": "B-LOC", "京": "I-LOC", "天": "B-LOC", "安": "I-LOC", "门": "I-LOC"}

    def model(inputs, training=False):
        ids = inputs["token_ids"].numpy()[0]
        logits = np.zeros((1, len(ids), len(NER_LABELS)), "float32")
        logits[0, :, 0] = 5.0
        for k, i in enumerate(ids):
            label = wanted.get(wordpiece.id_to_piece(int(i)))
            if label:
                logits[0, k, NER_LABELS.index(label)] = 10.0
        return tf.constant(logits)

    out = decoding.tag(model, wordpiece, [text], T, NER_LABELS)
    got = [(out["entity_labels"][0, j].numpy().decode(), out["entity_texts"][0, j].numpy().decode(),
            int(out["entity_starts"][0, j]), int(out["entity_ends"][0, j])) for j in range(int(out["num_entities"][0]))]
    assert got == [("PER", "我", 0, 1), ("LOC", "北京", 2, 4), ("LOC", "天安门", 4, 7)]


def test_choice_probabilities_ignore_padding():
    from albert_keras.tasks.decoding import choice_probabilities

    p = choice_probabilities(np.array([[1.0, 2.0, 9.0], [0.0, 0.0, 0.0]]), np.array([[True, True, False]] * 2))
    np.testing.assert_allclose(p.numpy().sum(-1), [1.0, 1.0], atol=1e-6)
    assert p.numpy()[0, 2] == 0.0 and p.numpy()[0, 1] > p.numpy()[0, 0]


# === Served signatures: export round trips ===


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """A QA and a multiple-choice model on SentencePiece, a tagger on WordPiece, exported."""
    from albert_keras import AlbertMultipleChoice, AlbertQuestionAnswerer, AlbertTokenClassifier
    from albert_keras.export import export_saved_model
    from albert_keras.tokenizer.loading import load_tokenizer

    spm, wp = load_tokenizer(SPM_DIR), load_tokenizer(WORDPIECE_DIR)
    models = {
        "qa": (AlbertQuestionAnswerer(_backbone(spm)), SPM_DIR, spm),
        "ner": (AlbertTokenClassifier(_backbone(wp), num_classes=5, class_labels=NER_LABELS), WORDPIECE_DIR, wp),
        "mc": (AlbertMultipleChoice(_backbone(spm)), SPM_DIR, spm),
    }
    result = {}
    for seed, (name, (model, vocab, tokenizer)) in enumerate(models.items()):
        randomize_weights(model, seed=seed)
        out = str(tmp_path_factory.mktemp(name) / "1")
        export_saved_model(model, out, spm_path=vocab, sequence_length=T, keras_output=None)
        result[name] = (model, tokenizer, out, tf.saved_model.load(out))
    return result


def test_answer_question_signature_equals_python_and_loads_in_tfsm_layer(exports):
    import keras

    model, tokenizer, path, loaded = exports["qa"]
    questions, contexts = [ENGLISH_QUESTION, CHINESE_QUESTION], [ENGLISH_CONTEXT, CHINESE_CONTEXT]
    signature = loaded.signatures["answer_question"]
    assert set(signature.structured_input_signature[1]) == {"question", "context"}
    served = signature(question=tf.constant(questions), context=tf.constant(contexts))
    served = {k: v.numpy() for k, v in served.items()}
    assert set(served) == {"answer", "start", "end", "score", "no_answer_score"}
    python = model.answer_question(questions, contexts, tokenizer=tokenizer, sequence_length=T)
    for i, (context, answer) in enumerate(zip(contexts, python, strict=True)):
        assert served["answer"][i].decode() == answer["answer"]
        assert (int(served["start"][i]), int(served["end"][i])) == (answer["start"], answer["end"])
        np.testing.assert_allclose(served["score"][i], answer["score"], atol=1e-5)
        if answer["start"] >= 0:
            assert context[answer["start"]:answer["end"]] == answer["answer"]
    layer = keras.layers.TFSMLayer(path, call_endpoint="answer_question")
    got = layer({"question": tf.constant(questions), "context": tf.constant(contexts)})
    np.testing.assert_array_equal(np.asarray(got["start"]), served["start"])


def test_tag_signature_equals_python_and_loads_in_tfsm_layer(exports):
    import keras

    model, tokenizer, path, loaded = exports["ner"]
    texts = ["李白住在北京。", "John lives in New York.", ""]
    signature = loaded.signatures["tag"]
    assert set(signature.structured_input_signature[1]) == {"text"}
    served = {k: v.numpy() for k, v in signature(text=tf.constant(texts)).items()}
    assert served["entity_texts"].shape == served["entity_starts"].shape == served["entity_labels"].shape
    python = model.tag(texts, tokenizer=tokenizer, sequence_length=T)
    for i, (text, entities) in enumerate(zip(texts, python, strict=True)):
        assert int(served["num_entities"][i]) == len(entities)
        for j, entity in enumerate(entities):
            assert served["entity_texts"][i, j].decode() == entity["text"] == text[entity["start"]:entity["end"]]
            assert entity["label"] in {"PER", "LOC"}
        assert (served["entity_texts"][i, len(entities):] == b"").all()
    layer = keras.layers.TFSMLayer(path, call_endpoint="tag")
    got = layer(tf.constant(texts))
    np.testing.assert_array_equal(np.asarray(got["num_entities"]), served["num_entities"])


def test_choose_signature_equals_python_and_loads_in_tfsm_layer(exports):
    import keras

    model, tokenizer, path, loaded = exports["mc"]
    contexts, choices = ["The sky is", "猫是"], [["blue", "green", "red"], ["动物", "植物", ""]]
    signature = loaded.signatures["choose"]
    served = {k: v.numpy() for k, v in signature(context=tf.constant(contexts), choices=tf.constant(choices)).items()}
    python = model.choose(contexts, [choices[0], choices[1][:2]], tokenizer=tokenizer, sequence_length=T)
    np.testing.assert_allclose(served["probabilities"][0], python[0], atol=1e-5)
    np.testing.assert_allclose(served["probabilities"][1, :2], python[1], atol=1e-5)
    assert served["probabilities"][1, 2] == 0.0
    assert served["choice_text"][0].decode() == choices[0][int(np.argmax(python[0]))]
    layer = keras.layers.TFSMLayer(path, call_endpoint="choose")
    got = layer({"context": tf.constant(contexts), "choices": tf.constant(choices)})
    np.testing.assert_allclose(np.asarray(got["probabilities"]), served["probabilities"], atol=1e-6)


def test_task_exports_use_allowed_ops_and_replay_their_warmup(exports):
    from albert_keras.export import op_allowlist
    from albert_keras.export.warmup import read_warmup

    expected = {"qa": {"answer_question"}, "ner": {"tag"}, "mc": {"choose"}}
    for name, (_, _, path, loaded) in exports.items():
        assert set(loaded.signatures) == expected[name] | {"embed", "embed_pair", "serving_default"}
        ops = op_allowlist.check_ops(path)
        assert not any(op.startswith("TFText>") or op.startswith("Fast") for op in ops)
        logs = read_warmup(path)
        names = [log.predict_log.request.model_spec.signature_name for log in logs]
        assert sorted(names) == sorted(loaded.signatures)
        for log in logs:
            request = log.predict_log.request
            signature = loaded.signatures[request.model_spec.signature_name]
            assert set(request.inputs) == set(signature.structured_input_signature[1])  # exactly its inputs
            out = signature(**{k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()})
            assert all(v.shape[0] == 4 for v in out.values())


# === albert query ===


def test_albert_query_prints_answers_entities_and_choices():
    from serving.client.printing import format_outputs

    qa = {"answer": np.array([b"\xe5\x8c\x97\xe4\xba\xac", b""], object), "start": np.array([6, -1]),
          "end": np.array([8, -1]), "score": np.array([0.93, 0.1]), "no_answer_score": np.array([0.02, 0.6])}
    text = format_outputs("answer_question", ["Q: 首都？  C: 中国的首都是北京。", "Q: x  C: y"], qa)
    assert 'answer: "北京" [6, 8) score 0.93 (no answer 0.02)' in text
    assert "no answer (no answer 0.60" in text
    tags = {"entity_labels": np.array([[b"LOC"], [b""]], object),
            "entity_texts": np.array([[b"New York"], [b""]], object),
            "entity_starts": np.array([[14], [-1]]), "entity_ends": np.array([[22], [-1]]),
            "entity_scores": np.array([[0.9], [0.0]]), "num_entities": np.array([1, 0])}
    text = format_outputs("tag", ["John lives in New York.", ""], tags)
    assert 'LOC: "New York" [14, 22) score 0.90' in text and "(no entities)" in text
    choose = {"probabilities": np.array([[0.7, 0.3, 0.0]]), "choice": np.array([0]),
              "choice_text": np.array([b"blue"], object)}
    text = format_outputs("choose", ["The sky is"], choose, {"choices": [["blue", "green", ""]]})
    assert "* 0.700  blue" in text and "0.300  green" in text and text.count("\n") == 2


def test_python_methods_use_the_tasks_preprocessor(wordpiece):
    from albert_keras import AlbertQuestionAnswerer
    from albert_keras.preprocessing.preprocessor import AlbertPreprocessor

    preprocessor = AlbertPreprocessor.from_vocab_dir(WORDPIECE_DIR, sequence_length=T)
    model = AlbertQuestionAnswerer(_backbone(wordpiece), preprocessor=preprocessor)
    randomize_weights(model, seed=4)
    with_preprocessor = model.answer_question(CHINESE_QUESTION, CHINESE_CONTEXT)
    explicit = model.answer_question(CHINESE_QUESTION, CHINESE_CONTEXT, tokenizer=wordpiece, sequence_length=T)
    assert with_preprocessor == explicit
    if explicit["start"] >= 0:
        assert CHINESE_CONTEXT[explicit["start"]:explicit["end"]] == explicit["answer"]
    bare = AlbertQuestionAnswerer(_backbone(wordpiece))
    with pytest.raises(ValueError, match="tokenizer"):
        bare.answer_question(CHINESE_QUESTION, CHINESE_CONTEXT)
