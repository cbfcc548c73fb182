import random

import pytest

from albert_keras.data.pretraining_pairs import create_sentence_pairs, truncate_seq_pair


def _documents(num_docs=300, seed=0):
    """Documents whose ids are unique and increase through each document."""
    rng = random.Random(seed)
    docs, next_id = [], 100
    for _ in range(num_docs):
        doc = []
        for _ in range(rng.randint(2, 9)):
            n = rng.randint(1, 12)
            doc.append(list(range(next_id, next_id + n)))
            next_id += n
        docs.append(doc)
    return docs


def _is_contiguous(ids):
    return all(b == a + 1 for a, b in zip(ids, ids[1:], strict=False))


def test_label_one_is_exactly_the_swapped_order():
    docs = _documents()
    pairs, stats = create_sentence_pairs(docs, max_seq_length=512, short_seq_prob=0.0, seed=1)
    # Every document fits one chunk, so each gives exactly one pair.
    assert stats.pairs == len(pairs) == len(docs)
    whole_documents = {tuple(i for s in d for i in s) for d in docs}
    assert {p.label for p in pairs} == {0, 1}
    for p in pairs:
        assert p.tokens_a and p.tokens_b
        first, second = (p.tokens_b, p.tokens_a) if p.label == 1 else (p.tokens_a, p.tokens_b)
        assert first + second in whole_documents
        if p.label == 1:
            assert p.tokens_a[0] > p.tokens_b[-1]


def test_sop_labels_are_balanced():
    pairs, _ = create_sentence_pairs(_documents(2000), max_seq_length=64, dupe_factor=2, seed=3)
    rate = sum(p.label for p in pairs) / len(pairs)
    assert len(pairs) > 3000
    assert abs(rate - 0.5) < 0.03


def test_pairs_fit_and_short_targets_occur():
    docs = _documents(1000)
    pairs, _ = create_sentence_pairs(docs, max_seq_length=32, short_seq_prob=0.0, seed=5)
    assert all(1 <= len(p.tokens_a) and 1 <= len(p.tokens_b) and len(p.tokens_a) + len(p.tokens_b) <= 29
               for p in pairs)
    long_only, _ = create_sentence_pairs(docs, 128, short_seq_prob=0.0, seed=5)
    with_short, _ = create_sentence_pairs(docs, 128, short_seq_prob=1.0, seed=5)
    # Shorter targets cut documents into more, shorter pairs.
    assert len(long_only) == len(docs)  # every document fits one chunk
    assert len(with_short) > len(long_only) + 50


def test_deterministic_under_a_seed():
    docs = _documents(200)
    assert create_sentence_pairs(docs, 64, seed=9) == create_sentence_pairs(docs, 64, seed=9)
    assert create_sentence_pairs(docs, 64, seed=9)[0] != create_sentence_pairs(docs, 64, seed=10)[0]


def test_documents_too_short_for_a_pair_are_skipped_and_counted():
    docs = [[[5, 6, 7]], [], [[8], [9]], [[10, 11]]]
    pairs, stats = create_sentence_pairs(docs, 64, short_seq_prob=0.0, seed=0)
    assert stats.documents == 3  # the empty document is dropped up front
    assert stats.skipped_documents == 2
    assert len(pairs) == 1 and sorted(pairs[0].tokens_a + pairs[0].tokens_b) == [8, 9]


def test_truncate_seq_pair_cuts_the_longer_side():
    rng = random.Random(0)
    a, b = list(range(10)), list(range(100, 103))
    truncate_seq_pair(a, b, 8, rng)
    assert len(a) == 5 and b == [100, 101, 102]
    assert _is_contiguous(a)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"`max_seq_length` must be an int >= 5\. Received: 3"):
        create_sentence_pairs([], 3)
    with pytest.raises(ValueError, match="dupe_factor"):
        create_sentence_pairs([], 64, dupe_factor=0)
