"""Which pieces start a word, for whole-word masking.

The tokenizer decides (`is_word_start`). A SentencePiece piece starts a word
when it starts with ``▁``, holds a CJK character (each Chinese/Japanese/Korean
character is its own word), is a single ASCII punctuation character, or is a
``<...>`` symbol (as ALBERT's `_is_start_piece`); a WordPiece token starts a
word unless it starts with ``##``. Other pieces continue the word before them.
Special tokens are never masked: their ids come from the tokenizer's
`special_ids` (`NON_MASKABLE_IDS` are the SentencePiece defaults). The
SentencePiece rule lives in `albert_keras.tokenizer.pieces`.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from albert_keras import features
from albert_keras.tokenizer.pieces import is_cjk, is_start_piece
from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds

__all__ = [
    "NON_MASKABLE_IDS", "is_cjk", "is_start_piece", "start_piece_table", "word_start_table", "word_starts",
    "word_starts_in_graph",
]

NON_MASKABLE_IDS = (features.PAD_ID, features.CLS_ID, features.SEP_ID, features.MASK_ID)


def start_piece_table(
    id_to_piece: Callable[[int], str],
    vocab_size: int,
    is_word_start: Callable[[str], bool] = is_start_piece,
) -> np.ndarray:
    """Returns a bool numpy array `[vocab_size]`: does id i start a word.

    Args:
        id_to_piece: id -> piece string.
        vocab_size: V.
        is_word_start: piece string -> starts a word (the tokenizer's
            `is_word_start`; SentencePiece's by default).
    """
    return np.array([bool(is_word_start(id_to_piece(i))) for i in range(vocab_size)], dtype=bool)


def word_start_table(tokenizer: Any) -> np.ndarray:
    """The `start_piece_table` of a tokenizer layer or Python encoder, either kind.

    Args:
        tokenizer: anything with `id_to_piece`, `vocabulary_size` and
            `is_word_start` (`AlbertTokenizer`, `SentencePieceEncoder`,
            `WordPieceTokenizer`, `WordPieceEncoder`).

    Returns:
        bool `[vocab_size]`.
    """
    return start_piece_table(tokenizer.id_to_piece, tokenizer.vocabulary_size(), tokenizer.is_word_start)


def word_starts(token_ids: Any, start_table: np.ndarray, special_ids: SpecialIds = SENTENCEPIECE) -> np.ndarray:
    """Word-start flags of a packed sequence.

    Args:
        token_ids: int array `[seq_len]` (may hold special ids and padding).
        start_table: the `start_piece_table` of the vocabulary.
        special_ids: the vocabulary's special ids (the tokenizer's
            `special_ids`).

    Returns:
        int32 array `[seq_len]`: 1 where a maskable token starts a word,
        0 on continuation pieces and on special tokens and padding.
    """
    token_ids = np.asarray(token_ids)
    maskable = ~np.isin(token_ids, special_ids.non_maskable())
    previous_maskable = np.concatenate([[False], maskable[:-1]])
    starts = maskable & (start_table[token_ids] | ~previous_maskable)
    return starts.astype(np.int32)


def word_starts_in_graph(
    token_ids: Any, padding_mask: Any, start_table: np.ndarray, special_ids: SpecialIds = SENTENCEPIECE
) -> tf.Tensor:
    """TF version of `word_starts`, for ids tokenized in the graph.

    Args:
        token_ids: int32 `[batch, seq_len]` (or `[seq_len]`).
        padding_mask: int `[batch, seq_len]`, 1 on real tokens.
        start_table: bool `[vocab_size]` from `start_piece_table`.
        special_ids: the vocabulary's special ids.

    Returns:
        int32 `[batch, seq_len]` word-start flags (0 on special tokens and
        padding).
    """
    token_ids = tf.convert_to_tensor(token_ids, tf.int32)
    maskable = tf.cast(padding_mask, tf.bool)
    for special in special_ids.non_maskable():
        maskable &= token_ids != special
    starts = tf.gather(tf.constant(start_table, tf.bool), token_ids)
    previous = tf.concat([tf.zeros_like(maskable[..., :1]), maskable[..., :-1]], axis=-1)
    return tf.cast(maskable & (starts | ~previous), tf.int32)
