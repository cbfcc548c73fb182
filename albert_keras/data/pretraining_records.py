"""Writes ALBERT pretraining TFRecords (static or dynamic masking).

Static records hold `tf.train.Example`s with the original
`create_pretraining_data.py` names, padded to `max_seq_length` and
`max_predictions`:

    input_ids, input_mask, segment_ids        int64 [max_seq_length]
    masked_lm_positions, masked_lm_ids        int64 [max_predictions]
    masked_lm_weights                         float [max_predictions]
    next_sentence_labels                      int64 [1]  (1 = swapped)

Dynamic records hold the unmasked packed sequences and word-start flags, to
be masked afresh at each read by `dynamic_masking`:

    input_ids, input_mask, segment_ids, word_starts   int64 [max_seq_length]
    next_sentence_labels                              int64 [1]

The same documents, options and seed give byte-identical files.
"""

import dataclasses
import os
import random
from collections.abc import Iterable, Sequence

import tensorflow as tf

from albert_keras.data.pretraining_pairs import SentencePair, create_sentence_pairs
from albert_keras.data.sentences import split_sentences
from albert_keras.masking.static_masking import MaskedLmResult, create_masked_lm_predictions
from albert_keras.masking.word_boundaries import word_start_table, word_starts
from albert_keras.tokenizer.loading import Encoder
from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds

WORD_STARTS = "word_starts"


def static_feature_spec(max_seq_length: int, max_predictions: int) -> dict[str, tf.io.FixedLenFeature]:
    """The `tf.io.parse_example` spec of static records."""
    return {
        "input_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "input_mask": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "segment_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "masked_lm_positions": tf.io.FixedLenFeature([max_predictions], tf.int64),
        "masked_lm_ids": tf.io.FixedLenFeature([max_predictions], tf.int64),
        "masked_lm_weights": tf.io.FixedLenFeature([max_predictions], tf.float32),
        "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64),
    }


def dynamic_feature_spec(max_seq_length: int) -> dict[str, tf.io.FixedLenFeature]:
    """The `tf.io.parse_example` spec of dynamic records."""
    return {
        "input_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "input_mask": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "segment_ids": tf.io.FixedLenFeature([max_seq_length], tf.int64),
        WORD_STARTS: tf.io.FixedLenFeature([max_seq_length], tf.int64),
        "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64),
    }


@dataclasses.dataclass
class RecordStats:
    """What `write_pretraining_records` did."""

    documents: int = 0
    skipped_documents: int = 0
    skipped_chunks: int = 0
    examples: int = 0
    masked_tokens: int = 0
    swapped: int = 0


def tokenize_documents(documents: Iterable[str], encoder: Encoder) -> list[list[list[int]]]:
    """Splits documents into sentences and tokenizes them.

    Args:
        documents: a list of document strings.
        encoder: a `SentencePieceEncoder` or `WordPieceEncoder`.

    Returns:
        A list of documents, each a list of non-empty id lists.
    """
    tokenized = []
    for document in documents:
        sentences = [encoder.encode(s) for s in split_sentences(document)]
        tokenized.append([s for s in sentences if s])
    return tokenized


def pack_pair(pair: SentencePair, special_ids: SpecialIds = SENTENCEPIECE) -> tuple[list[int], list[int]]:
    """Returns `(token_ids, segment_ids)` of ``[CLS] A [SEP] B [SEP]`` (ids of `special_ids`)."""
    cls, sep = special_ids.cls, special_ids.sep
    tokens = [cls, *pair.tokens_a, sep, *pair.tokens_b, sep]
    segments = [0] * (len(pair.tokens_a) + 2) + [1] * (len(pair.tokens_b) + 1)
    return tokens, segments


def _int_feature(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))


def _float_feature(values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=[float(v) for v in values]))


def _pad(values, length, value=0):
    return list(values) + [value] * (length - len(values))


def static_example(
    tokens: Sequence[int],
    segments: Sequence[int],
    result: MaskedLmResult,
    label: int,
    max_seq_length: int,
    max_predictions: int,
    pad_id: int = SENTENCEPIECE.pad,
) -> tf.train.Example:
    """Builds the static `tf.train.Example` of one masked pair (`input_ids` padded with `pad_id`)."""
    n = len(tokens)
    feature = {
        "input_ids": _int_feature(_pad(result.token_ids, max_seq_length, pad_id)),
        "input_mask": _int_feature(_pad([1] * n, max_seq_length)),
        "segment_ids": _int_feature(_pad(segments, max_seq_length)),
        "masked_lm_positions": _int_feature(_pad(result.positions, max_predictions)),
        "masked_lm_ids": _int_feature(_pad(result.labels, max_predictions)),
        "masked_lm_weights": _float_feature(_pad([1.0] * len(result.positions), max_predictions, 0.0)),
        "next_sentence_labels": _int_feature([label]),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature))


def dynamic_example(
    tokens: Sequence[int],
    segments: Sequence[int],
    starts: Sequence[int],
    label: int,
    max_seq_length: int,
    pad_id: int = SENTENCEPIECE.pad,
) -> tf.train.Example:
    """Builds the dynamic (unmasked) `tf.train.Example` of one pair (`input_ids` padded with `pad_id`)."""
    n = len(tokens)
    feature = {
        "input_ids": _int_feature(_pad(tokens, max_seq_length, pad_id)),
        "input_mask": _int_feature(_pad([1] * n, max_seq_length)),
        "segment_ids": _int_feature(_pad(segments, max_seq_length)),
        WORD_STARTS: _int_feature(_pad(starts, max_seq_length)),
        "next_sentence_labels": _int_feature([label]),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature))


def write_pretraining_records(
    documents: Iterable[str],
    encoder: Encoder,
    output: str | os.PathLike,
    max_seq_length: int = 128,
    max_predictions: int = 20,
    dupe_factor: int = 1,
    seed: int = 12345,
    dynamic: bool = False,
    masked_lm_prob: float = 0.15,
    short_seq_prob: float = 0.1,
    max_ngram: int = 3,
    favor_shorter_ngram: bool = True,
) -> RecordStats:
    """Tokenizes `documents`, makes SOP pairs and writes a TFRecord file.

    Args:
        documents: a list of document strings.
        encoder: a `SentencePieceEncoder` or `WordPieceEncoder` (`load_encoder`):
            its ids, `special_ids` and `is_word_start`.
        output: the TFRecord path.
        max_seq_length: T, the packed length.
        max_predictions: P, masked positions per example (static only).
        dupe_factor: passes over the corpus (static: each with new masks).
        seed: seeds pair creation and masking.
        dynamic: write unmasked sequences + word starts instead of masks.
        masked_lm_prob, max_ngram, favor_shorter_ngram: static masking options.
        short_seq_prob: probability of a shorter target length.

    Returns:
        A `RecordStats`.
    """
    if not isinstance(max_predictions, int) or not 1 <= max_predictions <= max_seq_length:
        raise ValueError(f"`max_predictions` must be an int in [1, max_seq_length]. Received: {max_predictions!r}")
    tokenized = tokenize_documents(documents, encoder)
    pairs, pair_stats = create_sentence_pairs(tokenized, max_seq_length, short_seq_prob, dupe_factor, seed)
    table = word_start_table(encoder)
    special_ids = encoder.special_ids
    rng = random.Random(seed + 1_000_003)
    stats = RecordStats(
        documents=len(documents),
        skipped_documents=pair_stats.skipped_documents // dupe_factor,
        skipped_chunks=pair_stats.skipped_chunks,
    )
    with tf.io.TFRecordWriter(str(output)) as writer:
        for pair in pairs:
            tokens, segments = pack_pair(pair, special_ids)
            starts = word_starts(tokens, table, special_ids).tolist()
            if dynamic:
                example = dynamic_example(tokens, segments, starts, pair.label, max_seq_length, special_ids.pad)
            else:
                result = create_masked_lm_predictions(
                    tokens, starts, encoder.vocabulary_size(), rng,
                    masked_lm_prob=masked_lm_prob, max_predictions=max_predictions,
                    max_ngram=max_ngram, favor_shorter_ngram=favor_shorter_ngram, special_ids=special_ids,
                )
                stats.masked_tokens += len(result.positions)
                example = static_example(
                    tokens, segments, result, pair.label, max_seq_length, max_predictions, special_ids.pad
                )
            writer.write(example.SerializeToString(deterministic=True))
            stats.examples += 1
            stats.swapped += pair.label
    return stats
