"""Dynamic n-gram whole-word masking in TF ops (fresh masks every read).

`dynamic_mask` takes unmasked packed sequences and word-start flags and draws
masks with stateless random ops, so a fixed seed gives the same masks and a
new seed (e.g. one per example per epoch from `tf.data.Dataset.random`) gives
new ones. It works on a batch `[batch, T]` or on one example `[T]`, inside
`tf.data.Dataset.map(..., num_parallel_calls=AUTOTUNE)`.

The selection is a vectorized form of the static algorithm
(`static_masking`): the words of each sequence are tiled into consecutive
n-grams whose sizes are drawn i.i.d. with p(n) ∝ 1/n (or reversed), the
n-grams are visited in random order and taken while the masked token count
stays within ``num_to_predict = min(max_predictions, max(1, round(n_tokens *
masked_lm_prob)))``; the first n-gram that does not fit is shortened to the
whole words that still fit (the static version's "shrink n"). So masked
n-grams never overlap, whole words are masked together, special tokens and
padding never are, and n-gram sizes follow p(n) except for the one
shortened n-gram and a tiling's last n-gram cut at the sequence end. Each
masked token becomes [MASK] (80%), a random non-special id (10%) or stays
(10%).
"""

from typing import Any

import numpy as np
import tensorflow as tf

from albert_keras import features
from albert_keras.masking.static_masking import check_vocab_size, ngram_probabilities
from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds

TensorLike = Any  # a tf.Tensor, np.ndarray or nested list that tf.convert_to_tensor takes

# How many n-grams that do not fit are shortened or skipped before stopping.
_FILL_ROUNDS = 3


def sample_ngram_sizes(
    shape: TensorLike, seed: TensorLike, max_ngram: int = 3, favor_shorter_ngram: bool = True
) -> tf.Tensor:
    """Draws n-gram sizes in 1..max_ngram with p(n) ∝ 1/n (or reversed).

    Args:
        shape: the output shape, e.g. `[batch, T]`.
        seed: int `[2]` stateless seed.
        max_ngram: the largest size.
        favor_shorter_ngram: p(n) ∝ 1/n when True, reversed when False.

    Returns:
        int32 tensor of `shape`.
    """
    cdf = np.cumsum(ngram_probabilities(max_ngram, favor_shorter_ngram))[:-1]
    u = tf.random.stateless_uniform(shape, seed)
    return 1 + tf.reduce_sum(tf.cast(u[..., tf.newaxis] >= tf.constant(cdf, tf.float32), tf.int32), axis=-1)


def dynamic_mask(
    token_ids: TensorLike,
    padding_mask: TensorLike,
    word_starts: TensorLike,
    seed: TensorLike,
    vocab_size: int,
    max_predictions: int,
    masked_lm_prob: float = 0.15,
    max_ngram: int = 3,
    favor_shorter_ngram: bool = True,
    mask_token_rate: float = 0.8,
    random_token_rate: float = 0.1,
    special_ids: SpecialIds = SENTENCEPIECE,
) -> dict[str, tf.Tensor]:
    """Draws n-gram whole-word masks.

    Args:
        token_ids: int `[batch, T]` or `[T]` unmasked packed ids.
        padding_mask: int `[batch, T]`, 1 on real tokens.
        word_starts: int `[batch, T]`, 1 where a word starts (0 on
            continuation pieces; special tokens are never masked anyway).
        seed: int `[2]` stateless seed.
        vocab_size: random replacements are drawn uniformly from the ids
            0..vocab_size-1 that are not special (5.. for SentencePiece).
        max_predictions: P, the length of the prediction outputs.
        masked_lm_prob: the fraction of tokens to mask.
        max_ngram: the longest n-gram, in words.
        favor_shorter_ngram: p(n) ∝ 1/n when True, reversed when False.
        mask_token_rate: probability a masked token becomes [MASK].
        random_token_rate: probability it becomes a random id (else kept).
        special_ids: the vocabulary's special ids (the tokenizer's
            `special_ids`): which ids are never masked, and [MASK]'s id.

    Returns:
        A dict: `token_ids` int32 `[batch, T]` (masked), `mask_positions`
        int32 `[batch, P]` (ascending, 0-padded), `mlm_ids` int32
        `[batch, P]` (the original ids, 0 on padding) and `mlm_weights`
        float32 `[batch, P]` (1 on real predictions, 0 on padding).
    """
    if not isinstance(max_predictions, int) or max_predictions < 1:
        raise ValueError(f"max_predictions must be an int >= 1, got {max_predictions!r}")
    specials = check_vocab_size(vocab_size, special_ids)
    if mask_token_rate < 0 or random_token_rate < 0 or mask_token_rate + random_token_rate > 1:
        raise ValueError(
            f"mask_token_rate and random_token_rate must be >= 0 with sum <= 1, "
            f"got {mask_token_rate!r} and {random_token_rate!r}"
        )
    token_ids = tf.cast(token_ids, tf.int32)
    single = token_ids.shape.rank == 1
    if single:
        token_ids, padding_mask, word_starts = (t[tf.newaxis] for t in (token_ids, padding_mask, word_starts))
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 5)
    out = _mask_batch(
        token_ids,
        tf.cast(padding_mask, tf.int32),
        tf.cast(word_starts, tf.int32),
        seeds,
        vocab_size,
        max_predictions,
        masked_lm_prob,
        max_ngram,
        favor_shorter_ngram,
        mask_token_rate,
        random_token_rate,
        specials,
        special_ids,
    )
    if single:
        out = {k: v[0] for k, v in out.items()}
    return out


def _segment_sum_rows(values, segments, num_segments):
    """Row-wise segment sum: values/segments `[B, T]` -> `[B, num_segments]`.

    Entries with segment >= num_segments are dropped.
    """
    batch = tf.shape(values)[0]
    offsets = tf.range(batch)[:, tf.newaxis] * (num_segments + 1)
    flat = tf.reshape(tf.minimum(segments, num_segments) + offsets, [-1])
    sums = tf.math.unsorted_segment_sum(tf.reshape(values, [-1]), flat, batch * (num_segments + 1))
    return tf.reshape(sums, [batch, num_segments + 1])[:, :num_segments]


def _mask_batch(ids, padding_mask, word_starts, seeds, vocab_size, max_predictions,
                masked_lm_prob, max_ngram, favor_shorter_ngram, mask_token_rate, random_token_rate,
                specials, special_ids):
    shape = tf.shape(ids)
    seq_len = shape[1]
    positions = tf.broadcast_to(tf.range(seq_len)[tf.newaxis], shape)

    # Words: maskable tokens grouped from each word start.
    maskable = padding_mask > 0
    for special in special_ids.non_maskable():
        maskable &= ids != special
    previous = tf.concat([tf.zeros_like(maskable[:, :1]), maskable[:, :-1]], axis=1)
    starts = maskable & ((word_starts > 0) | ~previous)
    word_of_token = tf.cumsum(tf.cast(starts, tf.int32), axis=1) - 1  # [B, T]
    num_words = tf.reduce_sum(tf.cast(starts, tf.int32), axis=1)  # [B]
    word_of_token = tf.where(maskable, word_of_token, seq_len)  # seq_len = "no word"
    word_tokens = _segment_sum_rows(tf.ones_like(ids), word_of_token, seq_len)  # [B, W=T]

    # Tile the words into n-grams of i.i.d. sizes.
    sizes = sample_ngram_sizes(shape, seeds[0], max_ngram, favor_shorter_ngram)  # [B, K=T]
    span_end = tf.cumsum(sizes, axis=1)
    span_start = span_end - sizes
    span_of_word = tf.searchsorted(span_end, positions, side="right")  # [B, W]
    span_tokens = _segment_sum_rows(word_tokens, span_of_word, seq_len)  # [B, K]

    # Visit n-grams in random order; take each while the budget allows. An
    # n-gram that does not fit is shortened to its whole words that fit (or
    # skipped), and the visit goes on; _FILL_ROUNDS such blocks are handled.
    num_tokens = tf.reduce_sum(padding_mask, axis=1)
    budget = tf.cast(tf.round(tf.cast(num_tokens, tf.float32) * masked_lm_prob), tf.int32)
    budget = tf.minimum(max_predictions, tf.maximum(1, budget))
    if masked_lm_prob == 0:
        budget = tf.zeros_like(budget)
    priority = tf.random.stateless_uniform(shape, seeds[1])
    priority = tf.where(span_tokens > 0, priority, 2.0)
    order = tf.argsort(priority, axis=1, stable=True)  # [B, K] visit order
    sorted_tokens = tf.gather(span_tokens, order, batch_dims=1)
    word_cumulative = tf.cumsum(word_tokens, axis=1)  # [B, W], inclusive
    available = sorted_tokens > 0
    remaining = budget
    taken_sorted = tf.zeros_like(available)
    word_taken = tf.zeros(shape, tf.bool)
    for _ in range(_FILL_ROUNDS):
        counts = tf.where(available, sorted_tokens, 0)
        cumulative = tf.cumsum(counts, axis=1)
        take = available & (cumulative <= remaining[:, tf.newaxis])  # a prefix
        remaining -= tf.reduce_sum(tf.where(take, counts, 0), axis=1)
        taken_sorted |= take
        blocked = available & ~take
        has_block = tf.reduce_any(blocked, axis=1)
        first = tf.argmax(tf.cast(blocked, tf.int32), axis=1, output_type=tf.int32)
        span = tf.gather(order, first, batch_dims=1)  # [B]
        first_word = tf.gather(span_start, span, batch_dims=1)
        before = tf.gather(word_cumulative, tf.maximum(first_word - 1, 0), batch_dims=1)
        before = tf.where(first_word > 0, before, 0)
        prefix_tokens = word_cumulative - before[:, tf.newaxis]  # [B, W]
        fits = (
            (span_of_word == span[:, tf.newaxis])
            & (prefix_tokens <= remaining[:, tf.newaxis])
            & has_block[:, tf.newaxis]
        )
        word_taken |= fits
        remaining -= tf.reduce_max(tf.where(fits, prefix_tokens, 0), axis=1)
        available = blocked & ~(tf.one_hot(first, seq_len, on_value=True, off_value=False))
    rank = tf.argsort(order, axis=1, stable=True)  # inverse permutation
    span_taken = tf.gather(taken_sorted, rank, batch_dims=1)  # [B, K]
    word_taken |= tf.gather(span_taken, tf.minimum(span_of_word, seq_len - 1), batch_dims=1)
    word_taken &= positions < num_words[:, tf.newaxis]
    selected = maskable & tf.gather(word_taken, tf.minimum(word_of_token, seq_len - 1), batch_dims=1)

    # 80% [MASK], 10% random id, 10% kept.
    draw = tf.random.stateless_uniform(shape, seeds[2])
    random_ids = tf.random.stateless_uniform(
        shape, seeds[3], minval=0, maxval=vocab_size - len(specials), dtype=tf.int32
    )
    for special in specials:  # ascending: the draw-th non-special id (draw + 5 for SentencePiece)
        random_ids += tf.cast(random_ids >= special, tf.int32)
    masked = tf.where(selected & (draw < mask_token_rate), special_ids.mask, ids)
    masked = tf.where(
        selected & (draw >= mask_token_rate) & (draw < mask_token_rate + random_token_rate), random_ids, masked
    )

    # Positions, ascending, padded with 0 to max_predictions.
    key = tf.where(selected, positions, seq_len + positions)
    key = tf.sort(key, axis=1)
    pad = tf.maximum(max_predictions - seq_len, 0)
    key = tf.pad(key, [[0, 0], [0, pad]], constant_values=2 * seq_len)[:, :max_predictions]
    valid = key < seq_len
    mask_positions = tf.where(valid, key, 0)
    mlm_ids = tf.where(valid, tf.gather(ids, mask_positions, batch_dims=1), 0)
    return {
        features.TOKEN_IDS: masked,
        features.MASK_POSITIONS: mask_positions,
        features.MLM_IDS: mlm_ids,
        features.MLM_WEIGHTS: tf.cast(valid, tf.float32),
    }
