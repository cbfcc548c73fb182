"""Raw-text pretraining examples (`albert_keras.data.pretraining_text`): SOP pairs, packing, splits."""

import numpy as np
import pytest

from albert_keras import features
from albert_keras.data.errors import DataError
from albert_keras.data.pretraining_text import build_examples, split_documents, unigram_counts
from albert_keras.data.sentences import split_sentences
from albert_keras.tokenizer.special_ids import SENTENCEPIECE

CLS, SEP = features.CLS_ID, features.SEP_ID


class WordEncoder:
    """A stand-in `SentencePieceEncoder`: one id per word, 10 + the word's index in the corpus vocabulary."""

    special_ids = SENTENCEPIECE

    def __init__(self):
        self.ids = {}

    def encode(self, text):
        return [self.ids.setdefault(word, 10 + len(self.ids)) for word in text.split()]


DOCUMENTS = [
    "The cat sat down. It was tired. Then it slept all day.\nThe end.",
    "猫是动物。狗也是动物！鸟呢？",
    "One sentence only with several words",
]


def test_examples_are_packed_sentence_order_pairs():
    encoder = WordEncoder()
    examples = build_examples(DOCUMENTS, encoder, sequence_length=32, short_seq_prob=0.0, seed=3)
    assert len(examples) == 3 and examples.token_ids.shape == (3, 32)
    for tokens, segments, padding in zip(examples.token_ids, examples.segment_ids, examples.padding_mask,
                                         strict=True):
        n = int(padding.sum())
        assert padding[:n].all() and not padding[n:].any() and not tokens[n:].any()
        seps = np.flatnonzero(tokens == SEP)
        assert tokens[0] == CLS and len(seps) == 2 and seps[1] == n - 1
        # Segment 0 covers [CLS] A [SEP]; segment 1 covers B [SEP]; both segments hold real tokens.
        assert (segments[: seps[0] + 1] == 0).all() and (segments[seps[0] + 1 : n] == 1).all()
        assert seps[0] >= 2 and seps[1] - seps[0] >= 2
    # The documents fit: every word of the corpus lands in an example exactly once.
    words = examples.token_ids[(examples.token_ids >= 10)]
    expected = [i for d in DOCUMENTS for sentence in split_sentences(d) for i in encoder.encode(sentence)]
    assert sorted(words.tolist()) == sorted(expected)
    np.testing.assert_array_equal(examples.as_dict()[features.SOP_LABEL], examples.sop_label)
    assert set(examples.sop_label.tolist()) <= {0, 1}


def test_swapped_pairs_reverse_the_sentence_order():
    encoder = WordEncoder()
    examples = build_examples(["a b. c d."] * 40, encoder, sequence_length=12, short_seq_prob=0.0, seed=0)
    a_first = [encoder.ids["a"], encoder.ids["b."]]
    for tokens, label in zip(examples.token_ids, examples.sop_label, strict=True):
        assert (tokens[1:3].tolist() == a_first) == (label == 0)
    assert 0 < examples.sop_label.sum() < 40  # both orders occur


def test_too_short_corpus_and_eval_split_errors():
    with pytest.raises(DataError, match="gave no pretraining examples"):
        build_examples(["one"], WordEncoder(), sequence_length=8)
    train, held_out = split_documents([f"d{i}" for i in range(10)], 0.2, seed=1)
    assert len(held_out) == 2 and sorted(train + held_out) == sorted(f"d{i}" for i in range(10))
    with pytest.raises(ValueError, match=r"`data.eval_fraction` must leave training documents\. Received: 0.9 of 1"):
        split_documents(["only"], 0.9)


def test_unigram_counts_skip_special_tokens_and_padding():
    examples = build_examples(["a a b. a c."], WordEncoder(), sequence_length=12, short_seq_prob=0.0, seed=0)
    counts = unigram_counts(examples, vocabulary_size=16)
    assert counts[CLS] == counts[SEP] == counts[features.PAD_ID] == 0
    assert counts[10] == 3 and counts.sum() == 5  # "a" (id 10) three times, "b." and "c." once
