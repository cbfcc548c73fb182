"""Adapters from training to the text side: tokenizer, vocab, sentences, masking.

Training code reaches `albert_keras.tokenizer`, `albert_keras.data` and
`albert_keras.masking` through these functions, so the text side can change
its modules without touching the training loop. Pretraining records are read
by `albert_keras.data.pretraining_dataset` (see `pretrain_data.records_dataset`).
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


def dynamic_masking(encoder, max_predictions, masking_probability=0.15, seed=0, max_ngram=3):
    """n-gram whole-word MLM masking as a `tf.data` map over single examples.

    Uses the text side's `albert_keras.masking.dynamic_masking.dynamic_mask`
    (n-grams of up to 3 whole words, 80% [MASK] / 10% random / 10% kept;
    never [CLS]/[SEP]/padding). The map takes `(index, example)` (from
    `Dataset.enumerate()`), where `example` holds int32 `[T]` token_ids,
    segment_ids, padding_mask and a scalar sop_label, and returns `(x, y)`
    for `AlbertPretrainer`. The masks depend only on `(seed, index)`:
    applied after `repeat()` every pass gets new masks, and a resumed run
    (which skips the batches already seen) gets the same masks as an
    uninterrupted one.

    Args:
        encoder: the `SentencePieceEncoder` (for the vocabulary size and the
            word-start pieces).
        max_predictions: P.
        masking_probability: fraction of tokens masked.
        seed: the masking seed.
        max_ngram: the longest masked n-gram, in words.

    Returns:
        A function `(index, example) -> (x, y)`.
    """
    from albert_keras.masking.dynamic_masking import dynamic_mask
    from albert_keras.masking.word_boundaries import start_piece_table, word_starts_in_graph

    vocabulary_size = encoder.vocabulary_size()
    table = start_piece_table(encoder.id_to_piece, vocabulary_size)

    def mask(index, example):
        token_ids = tf.cast(example[features.TOKEN_IDS], tf.int32)
        padding = tf.cast(example[features.PADDING_MASK], tf.int32)
        starts = word_starts_in_graph(token_ids[tf.newaxis], padding[tf.newaxis], table)[0]
        seeds = tf.stack([tf.cast(seed, tf.int64), tf.cast(index, tf.int64)])
        out = dynamic_mask(
            token_ids, padding, starts, seeds, vocabulary_size, max_predictions, masked_lm_prob=masking_probability,
            max_ngram=max_ngram,
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


def vocab_dir_exists(path):
    """True when `path` is a vocab dir or model dir holding spiece.model."""
    return os.path.isfile(os.path.join(path, "spiece.model"))
