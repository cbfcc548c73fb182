"""Pretraining data from raw text (`data.source: text`): examples and masked `tf.data`.

Each document is split into sentences and tokenized; consecutive sentences
are gathered into chunks up to the target length and each chunk is cut at a
random sentence boundary into segments A and B (at a random token when it
holds one sentence). With probability 0.5 the segments are swapped
(`sop_label` 1). Masking happens in `tf.data` (`dynamic_masking`), so each
pass masks anew.

Pretraining records (`data.source: records`) are read by
`albert_keras.data.pretraining_dataset.records_dataset`.
"""

import dataclasses
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from albert_keras import features
from albert_keras.data import bucketing
from albert_keras.data.errors import DataError
from albert_keras.data.packing import pack
from albert_keras.data.sentences import split_sentences
from albert_keras.masking.dynamic_masking import dynamic_mask
from albert_keras.masking.word_boundaries import word_start_table, word_starts_in_graph
from albert_keras.tokenizer.loading import Encoder
from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds


@dataclasses.dataclass
class PretrainExamples:
    """Unmasked pretraining examples as numpy arrays.

    Attributes:
        token_ids, segment_ids, padding_mask: int32 `[N, T]`.
        sop_label: int32 `[N]`.
    """

    token_ids: np.ndarray
    segment_ids: np.ndarray
    padding_mask: np.ndarray
    sop_label: np.ndarray

    def __len__(self):
        return len(self.sop_label)

    def as_dict(self) -> dict[str, np.ndarray]:
        return {
            features.TOKEN_IDS: self.token_ids,
            features.SEGMENT_IDS: self.segment_ids,
            features.PADDING_MASK: self.padding_mask,
            features.SOP_LABEL: self.sop_label,
        }


def build_examples(
    documents: list[str],
    encoder: Encoder,
    sequence_length: int,
    short_seq_prob: float = 0.1,
    seed: int = 0,
) -> PretrainExamples:
    """Makes sentence-order examples from documents.

    Args:
        documents: a list of document strings.
        encoder: a `SentencePieceEncoder` or `WordPieceEncoder` (its
            `encode(text) -> ids` and `special_ids`).
        sequence_length: T.
        short_seq_prob: chance that a chunk targets a random shorter length.
        seed: Python RNG seed.

    Returns:
        A `PretrainExamples`.
    """
    rng = random.Random(seed)
    max_tokens = sequence_length - 3
    rows = []
    for document in documents:
        sentences = [encoder.encode(s) for s in split_sentences(document)]
        sentences = [s for s in sentences if s]
        target = rng.randint(2, max_tokens) if rng.random() < short_seq_prob else max_tokens
        chunk, length = [], 0
        for i, sentence in enumerate(sentences):
            chunk.append(sentence)
            length += len(sentence)
            if i == len(sentences) - 1 or length >= target:
                pair = _split_chunk(chunk, rng)
                if pair is not None:
                    a, b = pair
                    label = 0
                    if rng.random() < 0.5:
                        a, b, label = b, a, 1
                    rows.append(pack(a, b, sequence_length, encoder.special_ids) + (label,))
                chunk, length = [], 0
                target = rng.randint(2, max_tokens) if rng.random() < short_seq_prob else max_tokens
    if not rows:
        raise DataError("The corpus gave no pretraining examples: every document is shorter than 2 tokens")
    tokens, segments, padding, labels = zip(*rows, strict=True)
    return PretrainExamples(
        np.asarray(tokens, np.int32),
        np.asarray(segments, np.int32),
        np.asarray(padding, np.int32),
        np.asarray(labels, np.int32),
    )


def _split_chunk(chunk, rng):
    if len(chunk) >= 2:
        cut = rng.randint(1, len(chunk) - 1)
        return sum(chunk[:cut], []), sum(chunk[cut:], [])
    tokens = chunk[0]
    if len(tokens) < 2:
        return None
    cut = rng.randint(1, len(tokens) - 1)
    return tokens[:cut], tokens[cut:]


def split_documents(documents: list[str], eval_fraction: float, seed: int = 0) -> tuple[list[str], list[str]]:
    """Shuffles documents and holds out `eval_fraction` of them (at least 1 when > 0)."""
    documents = list(documents)
    random.Random(seed).shuffle(documents)
    if eval_fraction <= 0:
        return documents, []
    n_eval = max(1, int(round(len(documents) * eval_fraction)))
    if n_eval >= len(documents):
        raise ValueError(
            f"`data.eval_fraction` must leave training documents. Received: {eval_fraction} of {len(documents)}"
        )
    return documents[n_eval:], documents[:n_eval]


def dynamic_masking(
    encoder: Encoder,
    max_predictions: int,
    masking_probability: float = 0.15,
    seed: int = 0,
    max_ngram: int = 3,
) -> Callable[[tf.Tensor, dict[str, tf.Tensor]], tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]]:
    """n-gram whole-word MLM masking as a `tf.data` map over single examples.

    Uses `albert_keras.masking.dynamic_masking.dynamic_mask`
    (n-grams of up to 3 whole words, 80% [MASK] / 10% random / 10% kept;
    never [CLS]/[SEP]/padding). The map takes `(index, example)` (from
    `Dataset.enumerate()`), where `example` holds int32 `[T]` token_ids,
    segment_ids, padding_mask and a scalar sop_label, and returns `(x, y)`
    for `AlbertPretrainer`. The masks depend only on `(seed, index)`:
    applied after `repeat()` every pass gets new masks, and a resumed run
    (which skips the batches already seen) gets the same masks as an
    uninterrupted one.

    Args:
        encoder: the `SentencePieceEncoder` or `WordPieceEncoder` (for the
            vocabulary size, the special ids and the word-start pieces).
        max_predictions: P.
        masking_probability: fraction of tokens masked.
        seed: the masking seed.
        max_ngram: the longest masked n-gram, in words.

    Returns:
        A function `(index, example) -> (x, y)`.
    """
    vocabulary_size = encoder.vocabulary_size()
    table = word_start_table(encoder)
    special_ids = encoder.special_ids

    def mask(index: tf.Tensor, example: dict[str, tf.Tensor]) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
        token_ids = tf.cast(example[features.TOKEN_IDS], tf.int32)
        padding = tf.cast(example[features.PADDING_MASK], tf.int32)
        starts = word_starts_in_graph(token_ids[tf.newaxis], padding[tf.newaxis], table, special_ids)[0]
        seeds = tf.stack([tf.cast(seed, tf.int64), tf.cast(index, tf.int64)])
        out = dynamic_mask(
            token_ids, padding, starts, seeds, vocabulary_size, max_predictions, masked_lm_prob=masking_probability,
            max_ngram=max_ngram, special_ids=special_ids,
        )
        x = {
            features.TOKEN_IDS: out[features.TOKEN_IDS],
            features.SEGMENT_IDS: tf.cast(example[features.SEGMENT_IDS], tf.int32),
            features.PADDING_MASK: padding,
            features.MASK_POSITIONS: out[features.MASK_POSITIONS],
        }
        y = {
            features.MLM_IDS: out[features.MLM_IDS],
            features.MLM_WEIGHTS: out[features.MLM_WEIGHTS],
            features.SOP_LABEL: tf.cast(example[features.SOP_LABEL], tf.int32),
        }
        return x, y

    return mask


def masked_dataset(
    examples: PretrainExamples,
    encoder: Encoder,
    data_config: Any,  # a config.PretrainDataConfig (config sits above data: no import)
    batch_size: int,
    seed: int,
    training: bool,
) -> tf.data.Dataset:
    """A batched `(x, y)` dataset of masked examples.

    Args:
        examples: a `PretrainExamples`.
        encoder: the `SentencePieceEncoder` or `WordPieceEncoder` of the vocabulary.
        data_config: a `PretrainDataConfig`.
        batch_size: the global batch size of one step.
        seed: masking and shuffling seed.
        training: shuffle, repeat forever and mask dynamically (each pass
            anew, or once when `dynamic_masking` is False); else one pass
            with fixed masks, the last batch kept.

    Returns:
        A `tf.data.Dataset`.
    """
    arrays = examples.as_dict()
    ds = tf.data.Dataset.from_tensor_slices(arrays)
    mask = dynamic_masking(
        encoder, data_config.max_predictions, data_config.masking_probability, seed=seed,
        max_ngram=data_config.max_ngram,
    )
    lengths = np.asarray(arrays[features.PADDING_MASK]).sum(axis=1).tolist()
    boundaries = bucketing.resolve_bucketing(
        getattr(data_config, "bucketing", "off"), list(getattr(data_config, "bucket_boundaries", []) or []),
        lengths, data_config.sequence_length,
    )

    def batched(ds, drop_remainder):
        if boundaries:
            return bucketing.bucket_batches(ds, batch_size, boundaries, drop_remainder=drop_remainder)
        return ds.batch(batch_size, drop_remainder=drop_remainder)

    if training:
        n = len(examples)
        if data_config.dynamic_masking:
            ds = ds.shuffle(min(n, data_config.shuffle_buffer), seed=seed, reshuffle_each_iteration=True)
            ds = ds.repeat().enumerate().map(mask, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        else:
            ds = ds.enumerate().map(mask).cache()
            ds = ds.shuffle(min(n, data_config.shuffle_buffer), seed=seed, reshuffle_each_iteration=True).repeat()
        return batched(ds, True).prefetch(tf.data.AUTOTUNE)
    return batched(ds.enumerate().map(mask), False).cache()


def unigram_counts(
    examples: PretrainExamples, vocabulary_size: int, special_ids: SpecialIds = SENTENCEPIECE
) -> np.ndarray:
    """Counts of each id among the real (non-special) tokens, int64 `[V]`."""
    ids = examples.token_ids[examples.padding_mask > 0]
    ids = ids[(ids != special_ids.cls) & (ids != special_ids.sep)]
    return np.bincount(ids, minlength=vocabulary_size)
