"""Length-aware batching: batches of similar length, cut to their bucket's width.

Short texts padded to `sequence_length` spend most of a step on padding
(the reviews of `data/zh_reviews` fill ~half of T=64). `bucket_batches`
groups examples by length into buckets (`tf.data.Dataset.group_by_window`),
batches each bucket, and cuts the sequence features of a batch to the
bucket's upper boundary. A batch therefore has one of `len(boundaries)`
widths, so a `tf.function` (and XLA) sees at most that many shapes.

Padding is masked everywhere in the model, so a bucketed example gives the
same logits at its real positions as the example padded to T (asserted to
1e-5 in the tests); only the order of examples changes.

Boundaries come from the data (`choose_boundaries`: length quantiles rounded
up to a multiple of 8, the last always T), and `resolve_bucketing` turns the
config switch (`auto`, `on`, `off`) into boundaries or None: `auto` buckets
when the mean length is under `AUTO_MAX_FILL` of T.

Example:

>>> choose_boundaries([5, 9, 12, 30, 31, 60, 61, 64], sequence_length=64)
[16, 32, 64]
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from albert_keras import features

MODES = ("auto", "on", "off")
AUTO_MAX_FILL = 0.75  # auto buckets when the mean length fills less than this share of T
MAX_BUCKETS = 4
MULTIPLE = 8
WORD_STARTS = "word_starts"  # dynamic pretraining records (albert_keras.data.pretraining_records)
SEQUENCE_KEYS = (features.TOKEN_IDS, features.SEGMENT_IDS, features.PADDING_MASK, WORD_STARTS)


def choose_boundaries(
    lengths: Sequence[int], sequence_length: int, max_buckets: int = MAX_BUCKETS, multiple: int = MULTIPLE
) -> list[int]:
    """Bucket upper boundaries from a sample of lengths (tokens, specials included).

    Args:
        lengths: lengths of a sample of examples.
        sequence_length: T; the last boundary.
        max_buckets: the most buckets.
        multiple: boundaries are rounded up to a multiple of this.

    Returns:
        Increasing boundaries, the last one `sequence_length`.
    """
    if not lengths:
        return [sequence_length]
    quantiles = np.quantile(np.asarray(lengths, "float64"), [i / max_buckets for i in range(1, max_buckets)])
    bounds = {min(sequence_length, int(-(-q // multiple) * multiple)) for q in quantiles}
    return sorted(b for b in bounds | {sequence_length} if b > 0)


def check_boundaries(boundaries: Sequence[int], sequence_length: int, key: str = "bucket_boundaries") -> list[int]:
    """`boundaries` as a list, checked: increasing positive ints ending at `sequence_length`.

    Raises:
        ValueError: naming `key`.
    """
    bounds = list(boundaries)
    if (
        not bounds
        or not all(isinstance(b, int) and b > 0 for b in bounds)
        or bounds != sorted(set(bounds))
        or bounds[-1] != sequence_length
    ):
        raise ValueError(
            f"`{key}` must be increasing positive ints ending at the sequence length {sequence_length}. "
            f"Received: {boundaries!r}"
        )
    return bounds


def resolve_bucketing(
    mode: str, boundaries: Sequence[int], lengths: Sequence[int], sequence_length: int
) -> list[int] | None:
    """The boundaries to batch with, or None for plain fixed-T batches.

    Args:
        mode: "auto" (bucket when the mean length is under `AUTO_MAX_FILL`
            of T), "on" or "off".
        boundaries: given boundaries; empty chooses them from `lengths`.
        lengths: a sample of example lengths.
        sequence_length: T.

    Raises:
        ValueError: an unknown mode or bad boundaries.
    """
    if mode not in MODES:
        raise ValueError(f"`bucketing` must be one of {list(MODES)}. Received: {mode!r}")
    if mode == "off":
        return None
    bounds = check_boundaries(boundaries, sequence_length) if boundaries else choose_boundaries(
        lengths, sequence_length
    )
    if len(bounds) < 2:
        return None
    if mode == "auto" and (not lengths or np.mean(lengths) >= AUTO_MAX_FILL * sequence_length):
        return None
    return bounds


def example_length(x: dict[str, tf.Tensor]) -> tf.Tensor:
    """Real tokens of one example (or each row of a batch): the sum of its padding mask."""
    return tf.reduce_sum(tf.cast(x[features.PADDING_MASK], tf.int32), axis=-1)


def _cut(value, width):
    return value[:, :width]


def trim_batch(x: dict[str, tf.Tensor], y: Any, boundaries: Sequence[int], trim_y: bool = False):
    """Cuts a batch's sequence features to the smallest boundary that holds its longest row.

    Args:
        x: features with `SEQUENCE_KEYS` of shape `[B, T]` (others kept).
        y: targets (kept, or cut when `trim_y` and it is a `[B, T]` tensor).
        boundaries: bucket boundaries (the last is T).
        trim_y: cut `y` too (per-token labels).

    Returns:
        `(x, y)` with sequence features `[B, w]`, `w` in `boundaries`.
    """
    bounds = tf.constant(list(boundaries), tf.int32)
    longest = tf.reduce_max(example_length(x))
    width = bounds[tf.argmax(tf.cast(bounds >= longest, tf.int32), output_type=tf.int32)]
    x = {k: (_cut(v, width) if k in SEQUENCE_KEYS else v) for k, v in x.items()}
    if trim_y and isinstance(y, tf.Tensor) and y.shape.rank == 2:
        y = _cut(y, width)
    return x, y


def bucket_batches(
    ds: tf.data.Dataset, batch_size: int, boundaries: Sequence[int], drop_remainder: bool = True,
    trim_y: bool = False,
) -> tf.data.Dataset:
    """Batches an unbatched `(x, y)` (or `x`) dataset by length bucket.

    Args:
        ds: elements `(x, y)` or `x`, with `x[padding_mask]` of shape `[T]`.
        batch_size: examples per batch.
        boundaries: bucket upper boundaries (the last is T).
        drop_remainder: drop each bucket's last partial batch.
        trim_y: cut per-token targets too.

    Returns:
        Batches like the elements, whose sequence features are `[B, w]`,
        `w` in `boundaries`.
    """
    bounds = tf.constant(list(boundaries), tf.int32)
    paired = isinstance(ds.element_spec, tuple)

    def key(*element):
        return tf.argmax(tf.cast(bounds >= example_length(element[0]), tf.int32), output_type=tf.int64)

    def trim(*element):
        if paired:
            return trim_batch(element[0], element[1], boundaries, trim_y)
        return trim_batch(element[0], None, boundaries)[0]

    ds = ds.group_by_window(
        key_func=key,
        reduce_func=lambda _, window: window.batch(batch_size, drop_remainder=drop_remainder),
        window_size=batch_size,
    )
    return ds.map(trim, num_parallel_calls=tf.data.AUTOTUNE)
