import collections

import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.masking.dynamic_masking import dynamic_mask, sample_ngram_sizes

VOCAB = 1000
SHORT_FIRST = np.array([6, 3, 2]) / 11


def _batch(batch, seq_len, max_pieces=1, seed=0, min_words=3):
    """Padded [CLS] words [SEP] rows; returns ids, padding_mask, word_starts, word id per position."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((batch, seq_len), np.int32)
    starts = np.zeros_like(ids)
    word = np.full_like(ids, -1)
    for b in range(batch):
        length = rng.integers(min_words + 2, seq_len + 1)
        ids[b, 0], pos, w = features.CLS_ID, 1, 0
        while pos < length - 1:
            k = min(int(rng.integers(1, max_pieces + 1)), length - 1 - pos)
            ids[b, pos : pos + k] = rng.integers(5, VOCAB, k)
            starts[b, pos] = 1
            word[b, pos : pos + k] = w
            pos, w = pos + k, w + 1
        ids[b, length - 1] = features.SEP_ID
    return ids, (ids > 0).astype(np.int32), starts, word


def _mask(ids, mask, starts, seed=(1, 2), **kw):
    kw.setdefault("max_predictions", 20)
    out = dynamic_mask(tf.constant(ids), tf.constant(mask), tf.constant(starts), tf.constant(seed),
                       vocab_size=VOCAB, **kw)
    return {k: v.numpy() for k, v in out.items()}


def test_sample_ngram_sizes_follow_one_over_n():
    for favor, want in ((True, SHORT_FIRST), (False, SHORT_FIRST[::-1])):
        n = sample_ngram_sizes([300, 200], tf.constant([3, 4]), 3, favor).numpy().ravel()
        np.testing.assert_allclose([np.mean(n == k) for k in (1, 2, 3)], want, atol=0.01)


def test_masked_count_is_num_to_predict():
    ids, mask, starts, _ = _batch(256, 128)
    out = _mask(ids, mask, starts)
    budget = np.minimum(20, np.maximum(1, np.round(mask.sum(1) * 0.15)))
    np.testing.assert_array_equal(out[features.MLM_WEIGHTS].sum(1), budget)
    # Multi-piece words: whole words rarely allow filling the budget exactly.
    ids, mask, starts, _ = _batch(256, 128, max_pieces=3, seed=1)
    out = _mask(ids, mask, starts, max_predictions=128)
    fraction = out[features.MLM_WEIGHTS].sum() / mask.sum()
    assert 0.14 < fraction <= 0.15 + 1e-6


def test_outputs_are_consistent_and_never_touch_specials_or_padding():
    ids, mask, starts, word = _batch(128, 64, max_pieces=3, seed=2)
    out = _mask(ids, mask, starts, max_predictions=12)
    pos, weights, labels = out[features.MASK_POSITIONS], out[features.MLM_WEIGHTS], out[features.MLM_IDS]
    assert pos.dtype == np.int32 and labels.dtype == np.int32 and weights.dtype == np.float32
    for b in range(len(ids)):
        real = pos[b][weights[b] > 0]
        assert np.all(np.diff(real) > 0)
        assert np.all(pos[b][weights[b] == 0] == 0) and np.all(labels[b][weights[b] == 0] == 0)
        np.testing.assert_array_equal(labels[b][weights[b] > 0], ids[b, real])
        assert np.all(mask[b, real] == 1) and np.all(ids[b, real] >= 5)
        changed = np.flatnonzero(out[features.TOKEN_IDS][b] != ids[b])
        assert set(changed) <= set(real)
        # Whole words: every piece of a touched word is masked.
        masked_words = set(word[b, real])
        np.testing.assert_array_equal(np.isin(word[b], list(masked_words)) & (word[b] >= 0),
                                      np.isin(np.arange(64), real))


def test_80_10_10_split():
    ids, mask, starts, _ = _batch(1024, 128, max_pieces=2, seed=3)
    out = _mask(ids, mask, starts, max_predictions=128, seed=(5, 6))
    new = out[features.TOKEN_IDS]
    masked = np.zeros_like(ids, bool)
    for b in range(len(ids)):
        masked[b, out[features.MASK_POSITIONS][b][out[features.MLM_WEIGHTS][b] > 0]] = True
    total = masked.sum()
    assert total > 8000
    assert abs((new[masked] == features.MASK_ID).sum() / total - 0.8) < 0.015
    assert abs((new[masked] == ids[masked]).sum() / total - 0.1) < 0.01
    other = (new[masked] != features.MASK_ID) & (new[masked] != ids[masked])
    assert abs(other.sum() / total - 0.1) < 0.01
    assert np.all(new[masked][other] >= 5)


@pytest.mark.parametrize("favor_shorter", [True, False])
def test_masked_runs_follow_one_over_n(favor_shorter):
    # Long rows and few predictions: masked n-grams are rarely adjacent, so
    # runs of masked single-piece words show the n-gram sizes.
    ids = np.full((100, 2000), 7, np.int32)
    ids[:, 0], ids[:, -1] = features.CLS_ID, features.SEP_ID
    starts = np.ones_like(ids)
    out = _mask(ids, np.ones_like(ids), starts, max_predictions=60, favor_shorter_ngram=favor_shorter)
    runs = collections.Counter()
    for row, w in zip(out[features.MASK_POSITIONS], out[features.MLM_WEIGHTS], strict=False):
        p = row[w > 0]
        breaks = np.flatnonzero(np.diff(p) > 1)
        runs.update(np.diff(np.concatenate([[-1], breaks, [len(p) - 1]])).tolist())
    total = sum(runs.values())
    want = SHORT_FIRST if favor_shorter else SHORT_FIRST[::-1]
    np.testing.assert_allclose([runs[n] / total for n in (1, 2, 3)], want, atol=0.035)


def test_seeded_reproducible_and_different_seeds_differ():
    ids, mask, starts, _ = _batch(32, 64, max_pieces=2, seed=4)
    a, b, c = (_mask(ids, mask, starts, seed=s)[features.MASK_POSITIONS] for s in ((1, 1), (1, 1), (1, 2)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_single_example_and_tf_data_map():
    ids, mask, starts, _ = _batch(4, 32, seed=5)
    single = dynamic_mask(ids[0], mask[0], starts[0], [1, 2], vocab_size=VOCAB, max_predictions=5)
    assert single[features.MASK_POSITIONS].shape == (5,)
    ds = tf.data.Dataset.from_tensor_slices((ids, mask, starts)).map(
        lambda i, m, s: dynamic_mask(i, m, s, [1, 2], vocab_size=VOCAB, max_predictions=5),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    first = next(iter(ds))
    np.testing.assert_array_equal(first[features.MASK_POSITIONS], single[features.MASK_POSITIONS])


def test_bad_arguments():
    ids, mask, starts, _ = _batch(2, 16)
    with pytest.raises(ValueError, match="max_predictions must be an int >= 1, got 0"):
        _mask(ids, mask, starts, max_predictions=0)
    with pytest.raises(ValueError, match="mask_token_rate"):
        _mask(ids, mask, starts, mask_token_rate=0.95, random_token_rate=0.1)
