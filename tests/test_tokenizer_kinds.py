"""Either tokenizer kind through every consumer: the kind is picked from the files, and the packer,
masking, data and readers take their special ids from the tokenizer, never from the SentencePiece
constants. BERT-vocab ids ([PAD]=0 [UNK]=100 [CLS]=101 [SEP]=102 [MASK]=103) are used so a leftover
constant (2, 3, 4) shows."""

import random

import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.data import packing
from albert_keras.data.pretraining_pairs import SentencePair
from albert_keras.data.pretraining_records import pack_pair
from albert_keras.masking.dynamic_masking import dynamic_mask
from albert_keras.masking.static_masking import create_masked_lm_predictions, first_random_id
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
    assert first_random_id(BERT) == 104 and first_random_id(SENTENCEPIECE) == 5
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
    assert 103 in replaced and min(replaced - {103}) >= 104  # [MASK] by the vocabulary's id; random ids regular
    with pytest.raises(ValueError, match="vocab_size must be > 104"):
        create_masked_lm_predictions([101, 200, 102], [0, 1, 0], 104, rng, special_ids=BERT)


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
    assert (new == 103).mean() > 0.5 and new.min() >= 103 and features.MASK_ID not in masked
