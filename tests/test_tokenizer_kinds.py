"""Either tokenizer kind through every consumer: the kind is picked from the files, and the packer,
masking, data and readers take their special ids from the tokenizer, never from the SentencePiece
constants. BERT-vocab ids ([PAD]=0 [UNK]=100 [CLS]=101 [SEP]=102 [MASK]=103) are used so a leftover
constant (2, 3, 4) shows."""

import json
import os
import random

import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.data import packing
from albert_keras.data.pretraining_pairs import SentencePair
from albert_keras.data.pretraining_records import pack_pair
from albert_keras.masking.dynamic_masking import dynamic_mask
from albert_keras.masking.static_masking import create_masked_lm_predictions, skip_special_ids, special_id_set
from albert_keras.masking.word_boundaries import word_starts, word_starts_in_graph
from albert_keras.preprocessing.packer import pack
from albert_keras.tokenizer import loading
from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds

BERT = SpecialIds(pad=0, unk=100, cls=101, sep=102, mask=103, pad_token="[PAD]", unk_token="[UNK]")
VOCAB = 400


def _bert_sequence(rng, n_words):
    """[CLS] words [SEP] with regular ids >= 104, 1-3 pieces a word; returns (ids, word_starts)."""
    ids, starts = [BERT.cls], [0]
    for _ in range(n_words):
        k = rng.randint(1, 3)
        ids += [rng.randint(104, VOCAB - 1) for _ in range(k)]
        starts += [1] + [0] * (k - 1)
    return ids + [BERT.sep], starts + [0]


# === Kind detection ===


def _touch(path, text="x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_tokenizer_kind_by_the_files_of_a_dir_or_a_file_name(tmp_path):
    assert loading.tokenizer_kind(_touch(tmp_path / "spm" / "spiece.model")) == "sentencepiece"
    assert loading.tokenizer_kind(tmp_path / "spm") == "sentencepiece"
    assert loading.tokenizer_kind(_touch(tmp_path / "wp" / "vocab.txt")) == "wordpiece"
    assert loading.tokenizer_kind(tmp_path / "wp") == "wordpiece"
    _touch(tmp_path / "zh" / "vocab_chinese.txt")
    assert loading.tokenizer_kind(tmp_path / "zh") == "wordpiece"
    assert loading.vocab_file(tmp_path / "zh") == str(tmp_path / "zh" / "vocab_chinese.txt")
    # Both files: tokenizer.json's kind decides.
    _touch(tmp_path / "both" / "spiece.model")
    _touch(tmp_path / "both" / "vocab.txt")
    assert loading.tokenizer_kind(tmp_path / "both") == "sentencepiece"
    _touch(tmp_path / "both" / "tokenizer.json", '{"kind": "wordpiece"}')
    assert loading.tokenizer_kind(tmp_path / "both") == "wordpiece"
    assert loading.vocab_file(tmp_path / "both") == str(tmp_path / "both" / "vocab.txt")


def test_tokenizer_kind_errors_name_the_dir_and_what_was_looked_for(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"empty.*spiece\.model.*vocab\.txt or vocab_chinese\.txt"):
        loading.tokenizer_kind(tmp_path / "empty")
    assert not loading.has_vocabulary(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="missing"):
        loading.load_tokenizer(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"`\.model` or a WordPiece `\.txt`.*weights\.h5"):
        loading.tokenizer_kind(_touch(tmp_path / "weights.h5"))


def test_load_tokenizer_and_encoder_pick_sentencepiece(spm_vocab_dir):
    from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    layer = loading.load_tokenizer(spm_vocab_dir, sequence_length=8)
    encoder = loading.load_encoder(spm_vocab_dir)
    assert isinstance(layer, AlbertTokenizer) and layer.sequence_length == 8
    assert isinstance(encoder, SentencePieceEncoder)
    assert layer.special_ids == encoder.special_ids == SENTENCEPIECE
    assert loading.tokenizer_options(spm_vocab_dir) == {"lowercase": True, "strip_accents": True}


# === Consumers take the tokenizer's ids ===


def test_in_graph_and_python_packers_use_the_given_special_ids():
    packed = pack(tf.ragged.constant([[200, 201], [300]]), tf.ragged.constant([[210], [310, 311]]), 7, BERT)
    np.testing.assert_array_equal(
        packed[features.TOKEN_IDS], [[101, 200, 201, 102, 210, 102, 0], [101, 300, 102, 310, 311, 102, 0]]
    )
    tokens, segments, padding = packing.pack([200, 201], [210], 7, BERT)
    assert tokens == [101, 200, 201, 102, 210, 102, 0] and segments == [0, 0, 0, 0, 1, 1, 0]
    assert padding == [1] * 6 + [0]
    pad_99 = SpecialIds(pad=99, unk=100, cls=101, sep=102, mask=103, pad_token="[PAD]", unk_token="[UNK]")
    assert pack(tf.ragged.constant([[200]]), None, 5, pad_99)[features.TOKEN_IDS].numpy().tolist() == [
        [101, 200, 102, 99, 99]
    ]
    tokens, _ = pack_pair(SentencePair((200,), (210, 211), False), BERT)
    assert tokens == [101, 200, 102, 210, 211, 102]
    # The SentencePiece default is unchanged.
    assert packing.pack([7], None, 4)[0] == [SENTENCEPIECE.cls, 7, SENTENCEPIECE.sep, SENTENCEPIECE.pad]


def test_word_starts_skip_the_given_special_ids():
    table = np.zeros(VOCAB, bool)
    table[[101, 102, 103, 200, 202]] = True  # 201 and 203 are "##" continuations
    ids = [101, 200, 201, 103, 202, 203, 102, 0]
    want = [0, 1, 0, 0, 1, 0, 0, 0]
    assert word_starts(ids, table, BERT).tolist() == want
    got = word_starts_in_graph(tf.constant([ids]), tf.constant([[1] * 7 + [0]]), table, BERT)
    assert got.numpy()[0].tolist() == want


def test_static_masking_uses_the_vocabularys_mask_id_and_never_masks_its_specials():
    rng = random.Random(0)
    specials = special_id_set(BERT)
    assert specials == (0, 100, 101, 102, 103) and special_id_set(SENTENCEPIECE) == (0, 1, 2, 3, 4)
    # Random replacements: the draw-th regular id, wherever the vocabulary keeps its specials.
    assert [skip_special_ids(d, specials) for d in range(VOCAB - 5)] == [
        i for i in range(VOCAB) if i not in specials
    ]
    assert [skip_special_ids(d, (0, 1, 2, 3, 4)) for d in range(3)] == [5, 6, 7]
    replaced = set()
    for _ in range(200):
        ids, starts = _bert_sequence(rng, rng.randint(5, 40))
        result = create_masked_lm_predictions(ids, starts, VOCAB, rng, max_predictions=10, special_ids=BERT)
        assert result.positions and all(ids[p] not in (101, 102) for p in result.positions)
        changed = [result.token_ids[p] for p in result.positions if result.token_ids[p] != ids[p]]
        assert features.MASK_ID not in result.token_ids  # 4, the SentencePiece [MASK], is never written
        replaced.update(changed)
        for p in result.positions:  # a masked word is masked whole: its continuations too
            q = p + 1
            while q < len(ids) and starts[q] == 0 and ids[q] not in (101, 102):
                assert q in result.positions
                q += 1
    assert 103 in replaced and not replaced & {0, 100, 101, 102}  # [MASK] by the vocabulary's id; random: regular
    with pytest.raises(ValueError, match=r"vocab_size must be > 103, got 103 \(special ids \(0, 100"):
        create_masked_lm_predictions([101, 200, 102], [0, 1, 0], 103, rng, special_ids=BERT)


def test_dynamic_masking_uses_the_vocabularys_mask_id_and_never_masks_its_specials():
    rng = random.Random(1)
    rows = [_bert_sequence(rng, 12) for _ in range(64)]
    length = max(len(ids) for ids, _ in rows)
    ids = np.array([r + [0] * (length - len(r)) for r, _ in rows])
    starts = np.array([s + [0] * (length - len(s)) for _, s in rows])
    padding = (np.arange(length)[None, :] < np.array([len(r) for r, _ in rows])[:, None]).astype(np.int32)
    out = dynamic_mask(ids, padding, starts, tf.constant([3, 4]), VOCAB, max_predictions=8, special_ids=BERT)
    positions = out[features.MASK_POSITIONS].numpy()
    weights = out[features.MLM_WEIGHTS].numpy()
    masked = out[features.TOKEN_IDS].numpy()
    picked = ids[np.arange(len(ids))[:, None], positions][weights > 0]
    assert picked.size and not np.isin(picked, [0, 101, 102]).any()
    new = masked[masked != ids]
    assert (new == 103).mean() > 0.5 and not np.isin(new, [0, 100, 101, 102]).any()
    assert features.MASK_ID not in masked


# === A WordPiece vocabulary (tests/data/wordpiece: [CLS]=12, [SEP]=13, [MASK]=14) ===

WP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "wordpiece")
WP_TOKENS = open(os.path.join(WP_DIR, "vocab.txt"), encoding="utf-8").read().splitlines()
WP_CLS, WP_SEP, WP_MASK, WP_PAD = (WP_TOKENS.index(t) for t in ("[CLS]", "[SEP]", "[MASK]", "[PAD]"))
WP_DOCUMENTS = [
    "He played the tokenizer tests. They jumped and played. She runs the models quickly. "
    "We tested the words and pieces. Hello world, the albert model is released in 2019.",
    "The quick brown fox jumped on the lazy dogs. It was playing with the tokens. "
    "You tested this text. 我爱北京天安门。猫是动物。",
]


def test_load_tokenizer_and_encoder_pick_wordpiece_from_a_dir_or_its_vocab_txt():
    from albert_keras.tokenizer.wordpiece_encoder import WordPieceEncoder
    from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer

    assert (WP_CLS, WP_SEP, WP_MASK) != (2, 3, 4)  # the test vocabulary is not laid out like SentencePiece's
    for path in (WP_DIR, os.path.join(WP_DIR, "vocab.txt")):
        layer, encoder = loading.load_tokenizer(path), loading.load_encoder(path)
        assert isinstance(layer, WordPieceTokenizer) and isinstance(encoder, WordPieceEncoder)
        assert (layer.special_ids.cls, layer.special_ids.sep, layer.special_ids.mask) == (WP_CLS, WP_SEP, WP_MASK)
        assert encoder.special_ids == layer.special_ids
    assert loading.tokenizer_options(WP_DIR) == {"kind": "wordpiece", "lowercase": True, "strip_accents": True}


def test_preprocessor_packs_with_the_wordpiece_vocabularys_ids():
    from albert_keras.preprocessing.preprocessor import AlbertPreprocessor
    from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer

    preprocessor = AlbertPreprocessor.from_vocab_dir(WP_DIR, sequence_length=12)
    assert isinstance(preprocessor.tokenizer, WordPieceTokenizer)
    encoder = loading.load_encoder(WP_DIR)
    a, b = "The tokens played.", "我爱[MASK]"
    ids_a, ids_b = encoder.encode(a), encoder.encode(b)
    assert ids_b[-1] == WP_MASK and WP_TOKENS.index("##ing") not in ids_a
    out = preprocessor((tf.constant([a]), tf.constant([b])))
    want = [WP_CLS, *ids_a, WP_SEP, *ids_b, WP_SEP]
    assert out[features.TOKEN_IDS].numpy()[0].tolist() == want + [WP_PAD] * (12 - len(want))
    assert out[features.SEGMENT_IDS].numpy()[0].tolist() == [0] * (len(ids_a) + 2) + [1] * (len(ids_b) + 1) + [
        0
    ] * (12 - len(want))
    single = preprocessor(tf.constant("hello world"))[features.TOKEN_IDS].numpy().tolist()
    assert single[:4] == [WP_CLS, WP_TOKENS.index("hello"), WP_TOKENS.index("world"), WP_SEP]


def _check_whole_words(original, positions, encoder):
    """No masked token is a piece of a word whose other pieces stay unmasked."""
    masked = set(positions)
    special = set(encoder.special_ids.non_maskable())
    pieces = [encoder.id_to_piece(i) for i in original]
    for p in masked:
        assert original[p] not in special
        if pieces[p].startswith("##") and original[p - 1] not in special:  # (a segment may start mid-word)
            assert p - 1 in masked, (" ".join(pieces), sorted(masked))
        if p + 1 < len(original) and pieces[p + 1].startswith("##"):
            assert p + 1 in masked, (" ".join(pieces), sorted(masked))


def test_whole_word_masking_never_splits_a_wordpiece_continuation(tmp_path):
    from albert_keras.data import pretraining_text
    from albert_keras.data.pretraining_records import static_feature_spec, write_pretraining_records

    encoder = loading.load_encoder(WP_DIR)
    assert any(encoder.id_to_piece(i).startswith("##") for d in WP_DOCUMENTS for i in encoder.encode(d))
    # Static records, written from the WordPiece encoder.
    path = str(tmp_path / "wp.tfrecord")
    write_pretraining_records(WP_DOCUMENTS, encoder, path, max_seq_length=24, max_predictions=6, dupe_factor=20,
                              seed=1, masked_lm_prob=0.3)
    spec = static_feature_spec(24, 6)
    records = [tf.io.parse_single_example(r, spec) for r in tf.data.TFRecordDataset(path)]
    assert len(records) > 20
    for ex in records:
        ids = ex["input_ids"].numpy().tolist()
        n = int(ex["input_mask"].numpy().sum())
        positions = [int(p) for p, w in zip(ex["masked_lm_positions"].numpy(), ex["masked_lm_weights"].numpy(),
                                            strict=True) if w > 0]
        original = list(ids)
        for p, label in zip(positions, ex["masked_lm_ids"].numpy(), strict=False):
            original[p] = int(label)
        assert original[0] == WP_CLS and original[n - 1] == WP_SEP and all(i == WP_PAD for i in ids[n:])
        _check_whole_words(original[:n], positions, encoder)
    # Dynamic masking of raw-text examples (tf.data), from the same encoder.
    examples = pretraining_text.build_examples(WP_DOCUMENTS * 10, encoder, 24, seed=2)
    mask = pretraining_text.dynamic_masking(encoder, max_predictions=6, masking_probability=0.3, seed=3)
    masked_any = 0
    for i in range(len(examples)):
        example = {k: tf.constant(v[i]) for k, v in examples.as_dict().items()}
        x, y = mask(tf.constant(i, tf.int64), example)
        positions = [int(p) for p, w in zip(x[features.MASK_POSITIONS].numpy(), y[features.MLM_WEIGHTS].numpy(),
                                            strict=True) if w > 0]
        new = x[features.TOKEN_IDS].numpy()
        masked_any += int((new == WP_MASK).sum())
        n = int(examples.padding_mask[i].sum())
        _check_whole_words(examples.token_ids[i][:n].tolist(), positions, encoder)
    assert masked_any > 0


def test_model_dir_and_export_of_a_wordpiece_albert(tmp_path):
    """save_model_dir keeps vocab.txt; the export picks WordPiece from the model dir, writes
    assets/vocab.txt, finds [MASK] by the vocabulary's id and answers with vocabulary tokens."""
    from albert_keras import AlbertBackbone, AlbertPretrainer, load_model_dir, save_model_dir
    from albert_keras.export import export_saved_model
    from albert_keras.preprocessing.preprocessor import AlbertPreprocessor
    from tests.model_helpers import randomize_weights

    model = AlbertPretrainer(AlbertBackbone(
        vocabulary_size=len(WP_TOKENS), num_layers=1, num_heads=2, embedding_dim=8, hidden_dim=16,
        intermediate_dim=32, max_sequence_length=16,
    ))
    randomize_weights(model, seed=4)
    model_dir = str(tmp_path / "model")
    save_model_dir(model, model_dir, vocab_path=WP_DIR)
    assert open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8").read().splitlines() == WP_TOKENS
    assert not os.path.exists(os.path.join(model_dir, "spiece.model"))
    assert loading.tokenizer_kind(model_dir) == "wordpiece"
    assert loading.load_tokenizer(model_dir).special_ids.mask == WP_MASK

    # check=False: the op allowlist of the WordPiece graph is asserted in test_wordpiece.py.
    out = export_saved_model(model_dir, str(tmp_path / "serving" / "1"), top_k=3, keras_output=False, check=False)
    assert open(os.path.join(out, "assets", "vocab.txt"), encoding="utf-8").read().splitlines() == WP_TOKENS
    info = json.load(open(os.path.join(out, "assets.extra", "export.json"), encoding="utf-8"))
    assert info["tokenizer"]["kind"] == "wordpiece" and info["tokenizer"]["special_ids"]["mask"] == WP_MASK
    texts = ["the [MASK] played.", "[MASK] is a [MASK] word", "no mask"]
    loaded = tf.saved_model.load(out)
    got = {k: v.numpy() for k, v in loaded.signatures["fill_mask"](
        text=tf.constant(texts)).items()}
    inputs = AlbertPreprocessor.from_vocab_dir(model_dir, sequence_length=16)(tf.constant(texts))
    token_ids = inputs[features.TOKEN_IDS].numpy()
    for row in range(3):
        want = np.flatnonzero(token_ids[row] == WP_MASK).tolist()
        assert got["mask_positions"][row][: len(want)].tolist() == want
        assert (got["mask_positions"][row][len(want):] == -1).all()
    assert got["mask_positions"][0].tolist()[0] == 2 and got["mask_positions"][1].tolist() == [1, 4]
    reloaded = load_model_dir(model_dir)
    for row, position in ((0, 2), (1, 1), (1, 4)):
        k = got["mask_positions"][row].tolist().index(position)
        logits = reloaded({**inputs, features.MASK_POSITIONS: tf.constant([[position]] * 3)})["mlm_logits"]
        top = np.argsort(-logits.numpy()[row, 0], kind="stable")[:3]
        assert got["top_k_ids"][row, k].tolist() == top.tolist()
        assert [t.decode() for t in got["top_k_tokens"][row, k]] == [WP_TOKENS[i] for i in top]


def test_albert_vocab_kind_wordpiece_writes_a_dir_load_tokenizer_reads(tmp_path, capsys):
    from albert_keras.cli import main
    from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n%\n".join(WP_DOCUMENTS * 3) + "\n", encoding="utf-8")
    out = tmp_path / "vocab"
    code = main(["vocab", "--kind", "wordpiece", "--input", str(corpus), "--format", "fortune", "--vocab-size",
                 "120", "--output", str(out), "--lowercase"])
    assert code == 0 and "WordPiece" in capsys.readouterr().err
    assert (out / "vocab.txt").is_file() and not (out / "spiece.model").exists()
    tokenizer = loading.load_tokenizer(str(out))
    assert isinstance(tokenizer, WordPieceTokenizer) and tokenizer.vocabulary_size() <= 120
    tokens = (out / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert tokenizer.special_ids.cls == tokens.index("[CLS]") and tokenizer.special_ids.mask == tokens.index("[MASK]")
    ids = tokenizer.tokenize(tf.constant(["played the [MASK]"])).to_list()[0]
    assert ids == loading.load_encoder(str(out)).encode("played the [MASK]") and ids[-1] == tokens.index("[MASK]")
    assert "[UNK]" not in [tokens[i] for i in ids]  # every training character is in the vocabulary


def test_finetuning_readers_pack_with_the_wordpiece_ids(tmp_path):
    from albert_keras.data.readers import conll, squad

    encoder = loading.load_encoder(WP_DIR)
    path = tmp_path / "train.conll"
    path.write_text("He O\nplayed B-V\ntests O\n\nthe O\nfox B-N\n", encoding="utf-8")
    x, labels, _ = conll.encode_conll(str(path), encoder, 8, ["O", "B-V", "B-N"])
    played = encoder.encode("played")
    assert len(played) == 2  # play ##ed: one label on the first piece
    want = [WP_CLS, *encoder.encode("He"), *played, *encoder.encode("tests"), WP_SEP]
    assert x[features.TOKEN_IDS][0].tolist() == want + [WP_PAD] * (8 - len(want))
    assert x[features.PADDING_MASK][0].tolist() == [1] * len(want) + [0] * (8 - len(want))
    assert labels[0].tolist()[:4] == [-100, 0, 1, -100]
    short = x[features.TOKEN_IDS][1].tolist()
    n = len(encoder.encode("the fox")) + 2
    assert short[:n] == [WP_CLS, *encoder.encode("the fox"), WP_SEP] and short[n:] == [WP_PAD] * (8 - n)
    assert x[features.PADDING_MASK][1].tolist() == [1] * n + [0] * (8 - n)
    example = squad.SquadExample("q1", "who played?", ["he", "played", "tests"], ["played"], 1, 1, False)
    feats = squad.encode_squad([example], encoder, sequence_length=16, doc_stride=8, max_query_length=8)
    tokens = feats.x[features.TOKEN_IDS][0].tolist()
    query = encoder.encode("who played?")
    assert tokens[: len(query) + 2] == [WP_CLS, *query, WP_SEP] and tokens.count(WP_SEP) == 2
    start, end = int(feats.y["start_positions"][0]), int(feats.y["end_positions"][0])
    assert [encoder.id_to_piece(i) for i in tokens[start : end + 1]] == ["play", "##ed"]
    assert set(tokens[tokens.index(WP_SEP, len(query) + 2) + 1 :]) == {WP_PAD}


def test_make_pretraining_data_and_records_dataset_with_a_wordpiece_vocab(tmp_path):
    """`albert make-pretraining-data --spm vocab.txt-dir --dynamic`, then the training reader masks the
    dynamic records with the vocabulary's [MASK] and never picks its [CLS]/[SEP]/[PAD]."""
    from albert_keras.cli import main
    from albert_keras.config import PretrainDataConfig
    from albert_keras.data.pretraining_dataset import records_dataset
    from albert_keras.data.pretraining_records import dynamic_feature_spec

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n%\n".join(WP_DOCUMENTS * 4) + "\n", encoding="utf-8")
    output = str(tmp_path / "dynamic.tfrecord")
    assert main(["make-pretraining-data", "--input", str(corpus), "--format", "fortune", "--spm", WP_DIR,
                 "--output", output, "--max-seq-length", "32", "--max-predictions", "5", "--dynamic",
                 "--dupe-factor", "3"]) == 0
    data = PretrainDataConfig(source="records", sequence_length=32, max_predictions=5, masking_probability=0.2)
    encoder = loading.load_encoder(WP_DIR)
    ds = records_dataset([output], data, 8, seed=0, training=False, vocabulary_size=len(WP_TOKENS),
                         special_ids=encoder.special_ids)
    spec = dynamic_feature_spec(32)
    unmasked = [tf.io.parse_single_example(r, spec)["input_ids"].numpy() for r in tf.data.TFRecordDataset(output)]
    masks = rows = 0
    for x, y in ds:
        token_ids, positions = x[features.TOKEN_IDS].numpy(), x[features.MASK_POSITIONS].numpy()
        labels, weights = y[features.MLM_IDS].numpy(), y[features.MLM_WEIGHTS].numpy()
        assert (token_ids[:, 0] == WP_CLS).all()
        assert not np.isin(labels[weights > 0], [WP_CLS, WP_SEP, WP_PAD, WP_MASK]).any()
        for row in range(len(token_ids)):
            original = unmasked[rows]  # an evaluation pass keeps the file order
            real = positions[row][weights[row] > 0]
            assert labels[row][weights[row] > 0].tolist() == original[real].tolist()
            kept = ~np.isin(np.arange(32), real)
            assert (token_ids[row][kept] == original[kept]).all()
            masks += int((token_ids[row][real] == WP_MASK).sum())
            rows += 1
    assert rows == len(unmasked) > 5 and masks > rows // 2


def test_finetuning_with_a_wordpiece_vocab_writes_a_wordpiece_model_dir(tmp_path):
    """`albert finetune` with `data.spm` a vocab.txt dir: the readers use its ids and the model dir keeps
    vocab.txt, so a later fine-tune (or export) from that dir picks WordPiece again."""
    from albert_keras.config import FinetuneConfig, coerce
    from albert_keras.training.finetune import run_finetuning
    from tests.training_fixtures import FINETUNE_DATA, TINY_BACKBONE

    config = {
        "task": {"name": "classification"},
        "model": {"init": "albert_tiny", "overrides": dict(TINY_BACKBONE)},
        "data": {"train_file": os.path.join(FINETUNE_DATA, "sentiment_train.csv"), "spm": WP_DIR,
                 "sequence_length": 16},
        "training": {"run_dir": str(tmp_path / "run"), "global_batch_size": 8, "train_steps": 2, "steps_per_loop": 2,
                     "verbose": 0},
    }
    result = run_finetuning(config, fresh=True)
    assert result.final_step == 2
    assert open(os.path.join(result.model_dir, "vocab.txt"), encoding="utf-8").read().splitlines() == WP_TOKENS
    options = json.load(open(os.path.join(result.model_dir, "tokenizer.json"), encoding="utf-8"))
    assert options == {"kind": "wordpiece", "lowercase": True, "strip_accents": True}
    from albert_keras.model_dir import load_model_dir

    assert load_model_dir(result.model_dir).backbone.vocabulary_size == len(WP_TOKENS)
    again = dict(config, model={"init": result.model_dir}, data=dict(config["data"], spm=None))
    assert coerce(FinetuneConfig, again).model.init == result.model_dir  # its vocabulary is found


def test_pretraining_from_text_with_a_wordpiece_vocab(tmp_path):
    """`albert pretrain` on raw text with `data.spm` a vocab.txt dir: examples, masks and the unigram
    baseline use its ids; the final model dir is a WordPiece one the exporter and load_tokenizer read."""
    from albert_keras.training.pretrain import run_pretraining
    from tests.training_fixtures import tiny_pretrain_config

    result = run_pretraining(tiny_pretrain_config(tmp_path / "run", WP_DIR, train_steps=2), fresh=True)
    assert result.final_step == 2 and 0.0 <= result.metrics["eval"]["mlm_accuracy"] <= 1.0
    assert loading.tokenizer_kind(result.model_dir) == "wordpiece"
    assert loading.load_tokenizer(result.model_dir).special_ids.mask == WP_MASK
