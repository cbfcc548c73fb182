"""Adapters to the text side (issue 3): tokenizer, vocab, sentences, masking, records.

Training code calls only these functions, so when the text side lands a
piece (e.g. n-gram whole-word dynamic masking in `albert_keras.masking`, or
the pretraining-record reader in `albert_keras.data`) only this file changes.
Functions marked *fallback* are simple stand-ins written here because the
text side's version did not exist yet.
"""

import os

import tensorflow as tf

from albert_keras import features


def load_encoder(spm):
    """A Python `SentencePieceEncoder` for a vocab dir or `spiece.model`."""
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    return SentencePieceEncoder(spm)


def spm_file(spm):
    """The `spiece.model` path of a vocab dir, model dir or model file."""
    from albert_keras.tokenizer import vocab

    return vocab.model_path(spm)


def tokenizer_options(spm):
    """The tokenizer options (lowercase, strip_accents) stored next to `spm`."""
    from albert_keras.tokenizer import vocab

    options = vocab.read_vocab_options(spm)
    return {"lowercase": bool(options["lowercase"]), "strip_accents": bool(options["strip_accents"])}


def read_documents(paths, fmt="auto"):
    """All documents of corpus files (see `albert_keras.data.corpus`)."""
    from albert_keras.data import corpus

    return corpus.read_corpus(paths, fmt)


def split_sentences(document):
    """The sentences of one document."""
    from albert_keras.data.sentences import split_sentences as split

    return split(document)


def train_vocab(documents, vocab_size, output_dir, seed=0):
    """Trains a SentencePiece vocab (lowercased, accents stripped) into `output_dir`.

    Returns:
        `output_dir`, now holding spiece.model and tokenizer.json.
    """
    from albert_keras.tokenizer import vocab

    proto = vocab.train_sentencepiece(documents, vocab_size, seed=seed)
    vocab.write_vocab_dir(output_dir, proto, {"lowercase": True, "strip_accents": True, "seed": seed})
    return output_dir


def dynamic_masking(vocabulary_size, max_predictions, masking_probability=0.15, seed=0):
    """*Fallback* token-level MLM masking as a `tf.data` map over single examples.

    The map takes `(index, example)` (from `Dataset.enumerate()`), where
    `example` holds int32 `[T]` token_ids, segment_ids, padding_mask and a
    scalar sop_label, and returns `(x, y)` for `AlbertPretrainer`. The masks
    depend only on `(seed, index)`: applied after `repeat()` every pass gets
    new masks (dynamic masking), and a resumed run sees the same masks.

    Of the chosen positions (`round(n * masking_probability)`, at least 1 and
    at most `max_predictions`, never [CLS]/[SEP]/padding): 80% become
    [MASK], 10% a random piece, 10% stay.

    TODO(text side): swap for the n-gram whole-word dynamic masking of
    `albert_keras.masking` once it lands.

    Returns:
        A function `(index, example) -> (x, y)`.
    """

    def mask(index, example):
        token_ids = tf.cast(example[features.TOKEN_IDS], tf.int32)
        padding = tf.cast(example[features.PADDING_MASK], tf.int32)
        length = tf.shape(token_ids)[0]
        seeds = tf.stack([tf.cast(seed, tf.int64), tf.cast(index, tf.int64)])
        candidate = (
            (padding > 0)
            & tf.not_equal(token_ids, features.CLS_ID)
            & tf.not_equal(token_ids, features.SEP_ID)
            & tf.not_equal(token_ids, features.PAD_ID)
        )
        n_real = tf.reduce_sum(tf.cast(candidate, tf.float32))
        num = tf.cast(tf.round(n_real * masking_probability), tf.int32)
        num = tf.clip_by_value(num, 1, max_predictions)
        scores = tf.random.stateless_uniform([length], seed=seeds)
        scores = tf.where(candidate, scores, -1.0)
        k = tf.minimum(max_predictions, length)
        top_scores, positions = tf.math.top_k(scores, k=k)
        weights = (tf.range(k) < num) & (top_scores >= 0.0)
        positions = tf.where(weights, positions, 0)
        labels = tf.where(weights, tf.gather(token_ids, positions), 0)
        choice = tf.random.stateless_uniform([k], seed=seeds + [0, 1 << 40])
        random_ids = tf.random.stateless_uniform(
            [k], seed=seeds + [0, 2 << 40], minval=5, maxval=vocabulary_size, dtype=tf.int32
        )
        replacement = tf.where(choice < 0.8, features.MASK_ID, tf.where(choice < 0.9, random_ids, labels))
        chosen = tf.boolean_mask(positions, weights)
        masked_ids = tf.tensor_scatter_nd_update(
            token_ids, tf.expand_dims(chosen, -1), tf.boolean_mask(replacement, weights)
        )
        pad = max_predictions - k
        x = {
            features.TOKEN_IDS: masked_ids,
            features.SEGMENT_IDS: tf.cast(example[features.SEGMENT_IDS], tf.int32),
            features.PADDING_MASK: padding,
            features.MASK_POSITIONS: tf.pad(positions, [[0, pad]]),
        }
        y = {
            features.MLM_IDS: tf.pad(labels, [[0, pad]]),
            features.MLM_WEIGHTS: tf.pad(tf.cast(weights, tf.float32), [[0, pad]]),
            features.SOP_LABEL: tf.cast(example[features.SOP_LABEL], tf.int32),
        }
        return x, y

    return mask


def pretraining_records(file_patterns, sequence_length, max_predictions):
    """*Fallback* reader of static pretraining TFRecords with the original feature names.

    Reads tf.Examples as written by the original `create_pretraining_data.py`
    (input_ids, input_mask, segment_ids, masked_lm_positions, masked_lm_ids,
    masked_lm_weights, next_sentence_labels) into `(x, y)` pairs.

    TODO(text side): swap for the record reader of `albert_keras.data` once
    it lands.

    Returns:
        A `tf.data.Dataset` of unbatched `(x, y)`.
    """
    files = []
    for pattern in file_patterns:
        files.extend(sorted(tf.io.gfile.glob(pattern)))
    if not files:
        raise FileNotFoundError(f"No TFRecord files match {file_patterns}")
    T, P = sequence_length, max_predictions
    spec = {
        "input_ids": tf.io.FixedLenFeature([T], tf.int64),
        "input_mask": tf.io.FixedLenFeature([T], tf.int64),
        "segment_ids": tf.io.FixedLenFeature([T], tf.int64),
        "masked_lm_positions": tf.io.FixedLenFeature([P], tf.int64),
        "masked_lm_ids": tf.io.FixedLenFeature([P], tf.int64),
        "masked_lm_weights": tf.io.FixedLenFeature([P], tf.float32),
        "next_sentence_labels": tf.io.FixedLenFeature([1], tf.int64),
    }

    def parse(record):
        ex = tf.io.parse_single_example(record, spec)
        named = {features.ORIGINAL_NAMES[k]: v for k, v in ex.items()}
        x = {k: tf.cast(named[k], tf.int32) for k in (features.TOKEN_IDS, features.SEGMENT_IDS,
                                                       features.PADDING_MASK, features.MASK_POSITIONS)}
        y = {
            features.MLM_IDS: tf.cast(named[features.MLM_IDS], tf.int32),
            features.MLM_WEIGHTS: named[features.MLM_WEIGHTS],
            features.SOP_LABEL: tf.cast(named[features.SOP_LABEL][0], tf.int32),
        }
        return x, y

    return tf.data.TFRecordDataset(files).map(parse, num_parallel_calls=tf.data.AUTOTUNE)


def vocab_dir_exists(path):
    """True when `path` is a vocab dir or model dir holding spiece.model."""
    return os.path.isfile(os.path.join(path, "spiece.model"))
