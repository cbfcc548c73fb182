"""Pretraining datasets: sentence-order pairs from raw text, or static records.

From raw text (`data.source: text`), each document is split into sentences
and tokenized; consecutive sentences are gathered into chunks up to the
target length and each chunk is cut at a random sentence boundary into
segments A and B (at a random token when it holds one sentence). With
probability 0.5 the segments are swapped (`sop_label` 1). Masking happens in
`tf.data` (`text_side.dynamic_masking`), so each pass masks anew.

From records (`data.source: records`), static records keep their written
masks and dynamic records (unmasked, with word starts) are masked while
reading, anew every pass (`albert_keras.data.pretraining_dataset`).
"""

import dataclasses
import random

import numpy as np
import tensorflow as tf

from albert_keras import features
from albert_keras.training import text_side


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

    def as_dict(self):
        return {
            features.TOKEN_IDS: self.token_ids,
            features.SEGMENT_IDS: self.segment_ids,
            features.PADDING_MASK: self.padding_mask,
            features.SOP_LABEL: self.sop_label,
        }


def _pack(a, b, sequence_length):
    budget = sequence_length - 3
    while len(a) + len(b) > budget:
        if len(a) > len(b):
            a = a[:-1]
        else:
            b = b[:-1]
    tokens = [features.CLS_ID] + a + [features.SEP_ID] + b + [features.SEP_ID]
    segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    pad = sequence_length - len(tokens)
    return tokens + [features.PAD_ID] * pad, segments + [0] * pad, [1] * len(tokens) + [0] * pad


def build_examples(documents, encoder, sequence_length, short_seq_prob=0.1, seed=0):
    """Makes sentence-order examples from documents.

    Args:
        documents: a list of document strings.
        encoder: a `SentencePieceEncoder` (its `encode(text) -> ids`).
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
        sentences = [encoder.encode(s) for s in text_side.split_sentences(document)]
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
                    rows.append(_pack(a, b, sequence_length) + (label,))
                chunk, length = [], 0
                target = rng.randint(2, max_tokens) if rng.random() < short_seq_prob else max_tokens
    if not rows:
        raise ValueError("The corpus gave no pretraining examples (every document is shorter than 2 tokens).")
    tokens, segments, padding, labels = zip(*rows)
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


def split_documents(documents, eval_fraction, seed=0):
    """Shuffles documents and holds out `eval_fraction` of them (at least 1 when > 0)."""
    documents = list(documents)
    random.Random(seed).shuffle(documents)
    if eval_fraction <= 0:
        return documents, []
    n_eval = max(1, int(round(len(documents) * eval_fraction)))
    if n_eval >= len(documents):
        raise ValueError(f"data.eval_fraction={eval_fraction} leaves no training documents ({len(documents)} in all).")
    return documents[n_eval:], documents[:n_eval]


def masked_dataset(examples, encoder, data_config, batch_size, seed, training):
    """A batched `(x, y)` dataset of masked examples.

    Args:
        examples: a `PretrainExamples`.
        encoder: the `SentencePieceEncoder` of the vocabulary.
        data_config: a `PretrainDataConfig`.
        batch_size: the global batch size of one step.
        seed: masking and shuffling seed.
        training: shuffle, repeat forever and mask dynamically (each pass
            anew, or once when `dynamic_masking` is False); else one pass
            with fixed masks, the last batch kept.

    Returns:
        A `tf.data.Dataset`.
    """
    ds = tf.data.Dataset.from_tensor_slices(examples.as_dict())
    mask = text_side.dynamic_masking(
        encoder, data_config.max_predictions, data_config.masking_probability, seed=seed,
        max_ngram=data_config.max_ngram,
    )
    if training:
        n = len(examples)
        if data_config.dynamic_masking:
            ds = ds.shuffle(min(n, data_config.shuffle_buffer), seed=seed, reshuffle_each_iteration=True)
            ds = ds.repeat().enumerate().map(mask, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        else:
            ds = ds.enumerate().map(mask).cache()
            ds = ds.shuffle(min(n, data_config.shuffle_buffer), seed=seed, reshuffle_each_iteration=True).repeat()
        return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return ds.enumerate().map(mask).batch(batch_size).cache()


def records_dataset(files, data_config, batch_size, seed, training, vocabulary_size):
    """A batched `(x, y)` dataset of pretraining records, static or dynamic.

    The kind comes from the first record (`pretraining_dataset.record_kind`).
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

    Returns:
        A `tf.data.Dataset` of `(x, y)` batches: x token_ids, segment_ids,
        padding_mask int32 `[B, T]`, mask_positions int32 `[B, P]`; y
        mlm_ids int32 `[B, P]`, mlm_weights float32 `[B, P]`, sop_label
        int32 `[B]`.
    """
    from albert_keras.data import pretraining_dataset as records

    d = data_config
    kind = records.record_kind(files)
    if kind == "static":
        return records.load_pretraining_dataset(
            files, batch_size, d.sequence_length, d.max_predictions, shuffle=training, repeat=training,
            seed=seed, shuffle_buffer=d.shuffle_buffer, drop_remainder=training,
        )

    def dynamic(**options):
        return records.load_dynamic_pretraining_dataset(
            files, batch_size, d.sequence_length, d.max_predictions, vocabulary_size, seed=seed,
            masked_lm_prob=d.masking_probability, max_ngram=d.max_ngram, **options,
        )

    if training and d.dynamic_masking:
        return dynamic(shuffle=True, repeat=True, shuffle_buffer=d.shuffle_buffer)
    once = dynamic(shuffle=False, repeat=False, drop_remainder=False)
    if not training:
        return once.cache()
    ds = once.unbatch().cache().shuffle(d.shuffle_buffer, seed=seed, reshuffle_each_iteration=True).repeat()
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def unigram_counts(examples, vocabulary_size):
    """Counts of each id among the real (non-special) tokens, int64 `[V]`."""
    ids = examples.token_ids[examples.padding_mask > 0]
    ids = ids[(ids != features.CLS_ID) & (ids != features.SEP_ID)]
    return np.bincount(ids, minlength=vocabulary_size)
