"""Packs token ids into ALBERT model inputs: ``[CLS] A [SEP] (B [SEP])``.

Plain TF ops on ragged ids, usable in `tf.data`, TFX Transform and serving
signatures.
"""

from typing import Any

import tensorflow as tf

from albert_keras import features
from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds

Ids = Any  # a tf.RaggedTensor `[batch, (n)]`, or dense `[batch, n]` ids tf.convert_to_tensor takes


def truncated_lengths(len_a: tf.Tensor, len_b: tf.Tensor, budget: int | tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Lengths after truncating a pair to `budget` tokens.

    The closed form of the original `_truncate_seq_pair` loop, which removes
    the last token of the longer segment (of B on a tie) until the pair fits.

    Args:
        len_a: int64 `[batch]`, lengths of A.
        len_b: int64 `[batch]`, lengths of B.
        budget: the most tokens A and B may have together.

    Returns:
        `(new_len_a, new_len_b)`, int64 `[batch]` each.
    """
    budget = tf.cast(budget, len_a.dtype)
    fits = len_a + len_b <= budget
    new_a = tf.minimum(len_a, tf.maximum(budget - len_b, (budget + 1) // 2))
    new_b = tf.minimum(len_b, budget - new_a)
    return tf.where(fits, len_a, new_a), tf.where(fits, len_b, new_b)


def pack(
    ids_a: Ids, ids_b: Ids | None = None, sequence_length: int = 128, special_ids: SpecialIds = SENTENCEPIECE
) -> dict[str, tf.Tensor]:
    """Packs one or two segments into fixed-length model inputs.

    Args:
        ids_a: int ids of segment A, ragged `[batch, (n)]`.
        ids_b: optional int ids of segment B, ragged `[batch, (m)]`.
        sequence_length: T, the output length (at least 2, or 3 with B).
        special_ids: the [CLS], [SEP] and padding ids (the tokenizer's
            `special_ids`; SentencePiece's 2, 3, 0 by default).

    Returns:
        A dict of int32 `[batch, T]` tensors: `token_ids`
        (``[CLS] A [SEP] B [SEP]`` then pad ids), `segment_ids` (0 for CLS, A and
        the first SEP; 1 for B and its SEP; 0 on padding) and `padding_mask`
        (1 on real tokens). Longer inputs are truncated, the longer segment
        first, from its end.
    """
    minimum = 2 if ids_b is None else 3
    if not isinstance(sequence_length, int) or sequence_length < minimum:
        raise ValueError(f"sequence_length must be an int >= {minimum}, got {sequence_length!r}")
    ids_a = _as_ragged(ids_a, "ids_a")
    batch = ids_a.nrows()
    cls = tf.fill([batch, 1], special_ids.cls)
    sep = tf.fill([batch, 1], special_ids.sep)
    if ids_b is None:
        a = ids_a[:, : sequence_length - 2]
        tokens = tf.concat([cls, a, sep], axis=1)
        segments = tf.zeros_like(tokens)
    else:
        ids_b = _as_ragged(ids_b, "ids_b")
        len_a, len_b = truncated_lengths(ids_a.row_lengths(), ids_b.row_lengths(), sequence_length - 3)
        a = _truncate(ids_a, len_a)
        b = _truncate(ids_b, len_b)
        first = tf.concat([cls, a, sep], axis=1)
        second = tf.concat([b, sep], axis=1)
        tokens = tf.concat([first, second], axis=1)
        segments = tf.concat([tf.zeros_like(first), tf.ones_like(second)], axis=1)
    shape = [None, sequence_length]
    return {
        features.TOKEN_IDS: tokens.to_tensor(special_ids.pad, shape=shape),
        features.SEGMENT_IDS: segments.to_tensor(0, shape=shape),
        features.PADDING_MASK: tf.ones_like(tokens).to_tensor(0, shape=shape),
    }


def _as_ragged(ids, name):
    if isinstance(ids, tf.RaggedTensor):
        if ids.shape.rank != 2:
            raise ValueError(f"{name} must be ragged [batch, (n)], got rank {ids.shape.rank}")
        return tf.cast(ids, tf.int32)
    ids = tf.convert_to_tensor(ids)
    if ids.shape.rank != 2:
        raise ValueError(f"{name} must be [batch, n] ids, got shape {ids.shape}")
    return tf.RaggedTensor.from_tensor(tf.cast(ids, tf.int32))


def _truncate(ids, lengths):
    """Keeps the first `lengths[i]` ids of row i of ragged `ids`."""
    keep = tf.ragged.range(lengths)
    return tf.gather(ids, keep, batch_dims=1)
