"""`tf.data` pipelines of `(x, y)` for `AlbertPretrainer`.

`x` = {token_ids, segment_ids, padding_mask, mask_positions} (int32) and
`y` = {mlm_ids (int32), mlm_weights (float32), sop_label (int32 [batch])},
keys from `albert_keras.features`, shapes `[batch, T]`, `[batch, P]`.

* `load_pretraining_dataset`: static records (masks fixed when written).
* `load_dynamic_pretraining_dataset`: dynamic records, masked afresh at each
  read with `dynamic_mask`; one seed per batch comes from
  `tf.data.Dataset.random(seed, rerandomize_each_iteration=True)`, so a seed
  makes the masks reproducible and every epoch (every new iterator, and
  every `repeat`) draws new ones.
* `records_dataset`: either kind, chosen from the first record, with the
  options of a `PretrainDataConfig` (what `albert pretrain` reads with
  `data.source: records`).
"""

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from albert_keras import features
from albert_keras.data import bucketing
from albert_keras.data.errors import DataError
from albert_keras.data.pretraining_records import WORD_STARTS, dynamic_feature_spec, static_feature_spec
from albert_keras.masking.dynamic_masking import dynamic_mask
from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds

FilePattern = str | Sequence[str]  # a glob, or a list of globs, of TFRecord files
Features = dict[str, tf.Tensor]


def _files(file_pattern):
    patterns = [file_pattern] if isinstance(file_pattern, str) else list(file_pattern)
    files = sorted(f for p in patterns for f in tf.io.gfile.glob(p))
    if not files:
        raise DataError(f"`file_pattern` must match TFRecord files. Received: {file_pattern!r}, which matches none")
    return files


def _records(file_pattern, batch_size, shuffle, shuffle_buffer, seed, repeat, drop_remainder=True):
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive int. Received: {batch_size!r}")
    ds = tf.data.TFRecordDataset(_files(file_pattern))
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder)


def record_kind(file_pattern: FilePattern) -> str:
    """Whether pretraining records are "static" or "dynamic", from their first record.

    Args:
        file_pattern: a glob (or list of globs) of TFRecord files.

    Returns:
        "static" (masked_lm_* features) or "dynamic" (word_starts, no masks).

    Raises:
        DataError: no files match, the files hold no record, or the first
            record is neither kind (the missing feature names are listed).
    """
    files = _files(file_pattern)
    for record in tf.data.TFRecordDataset(files).take(1):
        example = tf.train.Example.FromString(record.numpy())
        keys = set(example.features.feature.keys())
        break
    else:
        raise DataError(f"The TFRecord files {files[:3]}{'...' if len(files) > 3 else ''} hold no record")
    if set(static_feature_spec(1, 1)) <= keys:
        return "static"
    if set(dynamic_feature_spec(1)) <= keys:
        return "dynamic"
    raise DataError(
        f"The first record must be a static or dynamic pretraining record. Received features {sorted(keys)}; a "
        f"static record needs {sorted(static_feature_spec(1, 1))} and a dynamic one {sorted(dynamic_feature_spec(1))}",
        files[0],
    )


def parse_static_batch(serialized: tf.Tensor, seq_len: int, max_predictions: int) -> tuple[Features, Features]:
    """Parses a `[batch]` of static records into `(x, y)`."""
    ex = tf.io.parse_example(serialized, static_feature_spec(seq_len, max_predictions))
    x = {
        features.TOKEN_IDS: tf.cast(ex["input_ids"], tf.int32),
        features.SEGMENT_IDS: tf.cast(ex["segment_ids"], tf.int32),
        features.PADDING_MASK: tf.cast(ex["input_mask"], tf.int32),
        features.MASK_POSITIONS: tf.cast(ex["masked_lm_positions"], tf.int32),
    }
    y = {
        features.MLM_IDS: tf.cast(ex["masked_lm_ids"], tf.int32),
        features.MLM_WEIGHTS: tf.cast(ex["masked_lm_weights"], tf.float32),
        features.SOP_LABEL: tf.cast(ex["next_sentence_labels"][:, 0], tf.int32),
    }
    return x, y


def load_pretraining_dataset(
    file_pattern: FilePattern,
    batch_size: int,
    seq_len: int,
    max_predictions: int,
    shuffle: bool = True,
    repeat: bool = False,
    seed: int | None = None,
    shuffle_buffer: int = 10000,
    drop_remainder: bool = True,
    boundaries: Sequence[int] | None = None,
) -> tf.data.Dataset:
    """Reads static pretraining records.

    Args:
        file_pattern: a glob (or list of globs) of TFRecord files.
        batch_size: examples per batch (the last partial batch is dropped).
        seq_len: T, the records' `max_seq_length`.
        max_predictions: P, the records' `max_predictions`.
        shuffle: shuffle examples (reshuffled each epoch).
        repeat: repeat forever.
        seed: the shuffle seed.
        shuffle_buffer: the shuffle buffer size.
        drop_remainder: drop the last partial batch (keep it for evaluation).
        boundaries: length buckets (`albert_keras.data.bucketing`); None
            pads every batch to T.

    Returns:
        A `tf.data.Dataset` of `(x, y)` batches (see the module docstring).
    """
    ds = _records(file_pattern, batch_size, shuffle, shuffle_buffer, seed, repeat, drop_remainder)
    ds = ds.map(lambda s: parse_static_batch(s, seq_len, max_predictions), num_parallel_calls=tf.data.AUTOTUNE)
    if boundaries:
        ds = bucketing.bucket_batches(ds.unbatch(), batch_size, boundaries, drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)


def parse_dynamic_batch(serialized: tf.Tensor, seq_len: int) -> Features:
    """Parses a `[batch]` of dynamic records into a dict of int32 tensors."""
    ex = tf.io.parse_example(serialized, dynamic_feature_spec(seq_len))
    return {
        features.TOKEN_IDS: tf.cast(ex["input_ids"], tf.int32),
        features.SEGMENT_IDS: tf.cast(ex["segment_ids"], tf.int32),
        features.PADDING_MASK: tf.cast(ex["input_mask"], tf.int32),
        WORD_STARTS: tf.cast(ex[WORD_STARTS], tf.int32),
        features.SOP_LABEL: tf.cast(ex["next_sentence_labels"][..., 0], tf.int32),
    }


def mask_features(
    inputs: Features, seed: Any, vocab_size: int, max_predictions: int, **mask_options: Any
) -> tuple[Features, Features]:
    """Masks parsed dynamic features (a batch or one example) into `(x, y)`.

    Args:
        inputs: a dict from `parse_dynamic_batch` (token_ids, segment_ids,
            padding_mask, word_starts, sop_label).
        seed: int `[2]` stateless seed.
        vocab_size: the vocabulary size.
        max_predictions: P.
        **mask_options: more `dynamic_mask` arguments (masked_lm_prob, ...).

    Returns:
        `(x, y)` as for the pretrainer.
    """
    masked = dynamic_mask(
        inputs[features.TOKEN_IDS],
        inputs[features.PADDING_MASK],
        inputs[WORD_STARTS],
        seed,
        vocab_size=vocab_size,
        max_predictions=max_predictions,
        **mask_options,
    )
    x = {
        features.TOKEN_IDS: masked[features.TOKEN_IDS],
        features.SEGMENT_IDS: inputs[features.SEGMENT_IDS],
        features.PADDING_MASK: inputs[features.PADDING_MASK],
        features.MASK_POSITIONS: masked[features.MASK_POSITIONS],
    }
    y = {
        features.MLM_IDS: masked[features.MLM_IDS],
        features.MLM_WEIGHTS: masked[features.MLM_WEIGHTS],
        features.SOP_LABEL: inputs[features.SOP_LABEL],
    }
    return x, y


def load_dynamic_pretraining_dataset(
    file_pattern: FilePattern,
    batch_size: int,
    seq_len: int,
    max_predictions: int,
    vocab_size: int,
    seed: int | None = None,
    shuffle: bool = True,
    repeat: bool = False,
    shuffle_buffer: int = 10000,
    drop_remainder: bool = True,
    boundaries: Sequence[int] | None = None,
    **mask_options: Any,
) -> tf.data.Dataset:
    """Reads dynamic records and masks them afresh at every read.

    Args:
        file_pattern: a glob (or list of globs) of dynamic TFRecord files.
        batch_size: examples per batch (the last partial batch is dropped).
        seq_len: T, the records' `max_seq_length`.
        max_predictions: P, masked positions per example.
        vocab_size: the vocabulary size (random replacements).
        seed: makes shuffling and masks reproducible; epochs still differ.
        shuffle: shuffle examples (reshuffled each epoch).
        repeat: repeat forever.
        shuffle_buffer: the shuffle buffer size.
        drop_remainder: drop the last partial batch (keep it for evaluation).
        boundaries: length buckets (`albert_keras.data.bucketing`), cut
            before masking; None pads every batch to T.
        **mask_options: `dynamic_mask` options (masked_lm_prob, max_ngram,
            favor_shorter_ngram, mask_token_rate, random_token_rate).

    Returns:
        A `tf.data.Dataset` of `(x, y)` batches (see the module docstring).
    """
    ds = _records(file_pattern, batch_size, shuffle, shuffle_buffer, seed, repeat, drop_remainder)
    ds = ds.map(lambda s: parse_dynamic_batch(s, seq_len), num_parallel_calls=tf.data.AUTOTUNE)
    if boundaries:
        ds = bucketing.bucket_batches(ds.unbatch(), batch_size, boundaries, drop_remainder)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    ds = tf.data.Dataset.zip((ds, seeds))
    ds = ds.map(
        lambda inputs, s: mask_features(inputs, s, vocab_size, max_predictions, **mask_options),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return ds.prefetch(tf.data.AUTOTUNE)


def sample_lengths(file_pattern: FilePattern, seq_len: int, limit: int = 4096) -> list[int]:
    """Real-token counts (`input_mask` sums) of the first `limit` records."""
    spec = {"input_mask": tf.io.FixedLenFeature([seq_len], tf.int64)}
    ds = tf.data.TFRecordDataset(_files(file_pattern)).take(limit).batch(1024)
    ds = ds.map(lambda s: tf.reduce_sum(tf.io.parse_example(s, spec)["input_mask"], axis=1))
    return [int(n) for batch in ds for n in batch.numpy()]


def record_boundaries(file_pattern: FilePattern, data_config: Any) -> list[int] | None:
    """The length buckets of `data_config.bucketing` for these records, or None."""
    d = data_config
    mode, given = getattr(d, "bucketing", "off"), list(getattr(d, "bucket_boundaries", []) or [])
    if mode == "off":
        return None
    lengths = sample_lengths(file_pattern, d.sequence_length)
    return bucketing.resolve_bucketing(mode, given, lengths, d.sequence_length)


def records_dataset(
    files: FilePattern,
    data_config: Any,  # a config.PretrainDataConfig (config sits above data: no import)
    batch_size: int,
    seed: int,
    training: bool,
    vocabulary_size: int,
    special_ids: SpecialIds = SENTENCEPIECE,
    boundaries: Sequence[int] | None = None,
) -> tf.data.Dataset:
    """A batched `(x, y)` dataset of pretraining records, static or dynamic.

    The kind comes from the first record (`record_kind`).
    Static records keep the masks they were written with. Dynamic records are
    masked with n-gram whole-word masking (`data.masking_probability`,
    `data.max_ngram`): for training anew on every pass when
    `data.dynamic_masking` is True, else once (the masked examples are cached
    and reshuffled); for evaluation once with a fixed seed, so every
    evaluation of a run sees the same masks.

    Args:
        files: TFRecord files or globs.
        data_config: a `PretrainDataConfig` (sequence_length and
            max_predictions must match the records).
        batch_size: examples per batch.
        seed: shuffling and masking seed.
        training: shuffle, repeat forever and drop a last partial batch;
            else one ordered pass, the last batch kept.
        vocabulary_size: V, for random replacement tokens.
        special_ids: the vocabulary's special ids (the encoder's
            `special_ids`), for masking dynamic records.
        boundaries: length buckets; None takes them from
            `data.bucketing` / `data.bucket_boundaries` and a sample of the
            records (`record_boundaries`).

    Returns:
        A `tf.data.Dataset` of `(x, y)` batches: x token_ids, segment_ids,
        padding_mask int32 `[B, T]` (`[B, w]`, w a bucket boundary, when
        bucketed), mask_positions int32 `[B, P]`; y
        mlm_ids int32 `[B, P]`, mlm_weights float32 `[B, P]`, sop_label
        int32 `[B]`.
    """
    d = data_config
    kind = record_kind(files)
    if boundaries is None:
        boundaries = record_boundaries(files, d)
    if kind == "static":
        return load_pretraining_dataset(
            files, batch_size, d.sequence_length, d.max_predictions, shuffle=training, repeat=training,
            seed=seed, shuffle_buffer=d.shuffle_buffer, drop_remainder=training, boundaries=boundaries,
        )

    def dynamic(**options: Any) -> tf.data.Dataset:
        return load_dynamic_pretraining_dataset(
            files, batch_size, d.sequence_length, d.max_predictions, vocabulary_size, seed=seed,
            masked_lm_prob=d.masking_probability, max_ngram=d.max_ngram, special_ids=special_ids,
            boundaries=boundaries, **options,
        )

    if training and d.dynamic_masking:
        return dynamic(shuffle=True, repeat=True, shuffle_buffer=d.shuffle_buffer)
    once = dynamic(shuffle=False, repeat=False, drop_remainder=False)
    if not training:
        return once.cache()
    ds = once.unbatch().cache().shuffle(d.shuffle_buffer, seed=seed, reshuffle_each_iteration=True).repeat()
    if boundaries:  # masked once, cut per bucket: pad the cached examples back to T, then bucket again
        ds = ds.map(lambda x, y: (_pad_to(x, d.sequence_length), y))
        return bucketing.bucket_batches(ds, batch_size, boundaries).prefetch(tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _pad_to(x, seq_len):
    return {
        k: (tf.pad(v, [[0, seq_len - tf.shape(v)[0]]]) if k in bucketing.SEQUENCE_KEYS else v) for k, v in x.items()
    }
