import collections
import random

import numpy as np
import pytest

from albert_keras import features
from albert_keras.masking.static_masking import (
    create_masked_lm_predictions,
    draw_ngram_size,
    ngram_probabilities,
    num_to_predict,
)

VOCAB = 1000
SHORT_FIRST = np.array([6, 3, 2]) / 11


def _sequence(rng, n_words, max_pieces=1):
    """[CLS] words [SEP] with ids >= 5; returns (ids, word_starts, words)."""
    ids, starts, words = [features.CLS_ID], [0], []
    for _ in range(n_words):
        k = rng.randint(1, max_pieces)
        words.append(list(range(len(ids), len(ids) + k)))
        ids += [rng.randint(5, VOCAB - 1) for _ in range(k)]
        starts += [1] + [0] * (k - 1)
    return ids + [features.SEP_ID], starts + [0], words


def test_ngram_probabilities_and_draws():
    np.testing.assert_allclose(ngram_probabilities(3), SHORT_FIRST)
    np.testing.assert_allclose(ngram_probabilities(3, favor_shorter_ngram=False), SHORT_FIRST[::-1])
    rng = random.Random(0)
    for pvals, want in ((ngram_probabilities(3), SHORT_FIRST), (ngram_probabilities(3, False), SHORT_FIRST[::-1])):
        counts = collections.Counter(draw_ngram_size(rng, pvals) for _ in range(60000))
        np.testing.assert_allclose([counts[n] / 60000 for n in (1, 2, 3)], want, atol=0.01)


def test_masked_count_is_num_to_predict():
    rng = random.Random(1)
    for _ in range(100):
        ids, starts, _ = _sequence(rng, rng.randint(3, 150))
        result = create_masked_lm_predictions(ids, starts, VOCAB, rng, max_predictions=20)
        assert len(result.positions) == num_to_predict(len(ids), 0.15, 20) == min(20, max(1, round(len(ids) * 0.15)))
    total = masked = 0
    for _ in range(200):
        ids, starts, _ = _sequence(rng, 60, max_pieces=3)
        result = create_masked_lm_predictions(ids, starts, VOCAB, rng, max_predictions=1000)
        total += len(ids)
        masked += len(result.positions)
    assert abs(masked / total - 0.15) < 0.01


@pytest.mark.parametrize("favor_shorter", [True, False])
def test_ngram_sizes_follow_one_over_n(favor_shorter):
    rng = random.Random(2)
    ids, starts, _ = _sequence(rng, 2000)
    counts = collections.Counter()
    for _ in range(200):
        result = create_masked_lm_predictions(
            ids, starts, VOCAB, rng, max_predictions=30, favor_shorter_ngram=favor_shorter
        )
        used = 0
        for n in result.ngram_sizes:
            if used <= 30 - 3:  # n-grams taken before the budget could shrink them
                counts[n] += 1
            used += n
    total = sum(counts.values())
    want = SHORT_FIRST if favor_shorter else SHORT_FIRST[::-1]
    np.testing.assert_allclose([counts[n] / total for n in (1, 2, 3)], want, atol=0.03)


def test_80_10_10_split():
    rng = random.Random(3)
    kinds = collections.Counter()
    for _ in range(400):
        ids, starts, _ = _sequence(rng, 120, max_pieces=2)
        result = create_masked_lm_predictions(ids, starts, VOCAB, rng, max_predictions=1000)
        for p in result.positions:
            new = result.token_ids[p]
            kinds["mask" if new == features.MASK_ID else "kept" if new == ids[p] else "random"] += 1
            assert new == features.MASK_ID or new >= 5
    total = sum(kinds.values())
    assert total > 10000
    assert abs(kinds["mask"] / total - 0.8) < 0.015
    assert abs(kinds["random"] / total - 0.1) < 0.01
    assert abs(kinds["kept"] / total - 0.1) < 0.01


def test_whole_words_and_no_special_tokens():
    rng = random.Random(4)
    for _ in range(100):
        ids, starts, words = _sequence(rng, 40, max_pieces=4)
        # A [SEP] and a literal [MASK] in the middle are never candidates.
        ids[10], starts[10] = features.SEP_ID, 0
        ids[20], starts[20] = features.MASK_ID, 0
        result = create_masked_lm_predictions(ids, starts, VOCAB, rng, max_predictions=1000)
        masked = set(result.positions)
        assert not masked & {0, 10, 20, len(ids) - 1}
        assert result.labels == [ids[p] for p in result.positions]
        for word in words:
            # A word cut by a special token is two words; each is all or nothing.
            for part in _split_at(word, (10, 20)):
                assert len({p in masked for p in part}) == 1, (word, masked)


def _split_at(positions, breaks):
    parts, current = [], []
    for p in positions:
        if p in breaks:
            parts.append(current)
            current = []
        else:
            current.append(p)
    return [part for part in parts + [current] if part]


def test_deterministic_under_a_seed():
    ids, starts, _ = _sequence(random.Random(5), 100, max_pieces=2)
    a = create_masked_lm_predictions(ids, starts, VOCAB, random.Random(9))
    b = create_masked_lm_predictions(ids, starts, VOCAB, random.Random(9))
    c = create_masked_lm_predictions(ids, starts, VOCAB, random.Random(10))
    assert a == b and a.positions != c.positions


def test_bad_arguments():
    with pytest.raises(ValueError, match="differ in length: 3 vs 2"):
        create_masked_lm_predictions([2, 7, 3], [0, 1], VOCAB, random.Random(0))
    with pytest.raises(ValueError, match="vocab_size must be > 5, got 5"):
        create_masked_lm_predictions([2, 3], [0, 0], 5, random.Random(0))
