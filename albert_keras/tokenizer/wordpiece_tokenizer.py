"""`WordPieceTokenizer`: the in-graph BERT WordPiece tokenizer (Keras 3 layer).

For the checkpoints that ship a BERT ``vocab.txt`` (Google's Chinese ALBERTs,
brightmart's ``albert_zh``). It runs in `tf.data`, in the TFX Transform graph
and inside the served SavedModel, and gives the ids of `WordPieceEncoder`
(Python) and of Hugging Face's slow `BertTokenizer`.

Steps, all ops of TF core or of TF Text 2.12.1 (so stock TF Serving 2.12 to
2.19 loads the export; never the ``Fast*`` WordPiece/BERT ops):

1. split the input on the literal special tokens ``[PAD] [UNK] [CLS] [SEP]
   [MASK]``, keeping them (`RegexSplitWithOffsets`);
2. BERT's basic tokenization of each other piece (`bert_text`):
   `StaticRegexReplace` (clean), `StringLower` (lowercase), `NormalizeUTF8`
   (NFC; NFD to strip accents), `RegexSplitWithOffsets` (whitespace,
   punctuation, CJK characters);
3. greedy longest-match WordPiece (`WordpieceTokenizeWithOffsets` on a
   `HashTableV2` of the vocabulary); a word over 100 characters is
   ``[UNK]``;
4. join the pieces of each input back into one row.

Saving: the vocabulary is a table initialized from constants in the graph, so
`tf.saved_model.save` of anything that tracks this layer carries it. In a
`.keras` file it is written as the asset file ``vocab.txt``
(`save_assets`/`load_assets`) and the config holds ``vocabulary=None``.
"""

import os
from typing import Any

import keras
import tensorflow as tf
import tensorflow_text as tf_text

from albert_keras.tokenizer import bert_text
from albert_keras.tokenizer import wordpiece_vocab as wpv
from albert_keras.tokenizer.layer import TokenizerLayer
from albert_keras.tokenizer.special_ids import SpecialIds
from albert_keras.tokenizer.wordpiece_encoder import WordPieceEncoder

ASSET_FILE = wpv.VOCAB_FILE
# The TF Text op limits words in bytes; characters are limited separately.
_MAX_BYTES_PER_WORD = 4 * wpv.MAX_CHARS_PER_WORD


@keras.saving.register_keras_serializable(package="albert_keras")
class WordPieceTokenizer(TokenizerLayer):
    """Tokenizes strings to BERT WordPiece ids.

    Args:
        vocabulary: the tokens (id order), a `vocab.txt` path or a vocabulary
            directory. `None` only when restoring from a `.keras` file (the
            vocabulary is then loaded by `load_assets`).
        lowercase: lowercase before tokenizing. `None` reads the vocabulary
            directory's `tokenizer.json` (default True).
        strip_accents: NFD-normalize and drop accents. `None` reads
            `tokenizer.json`, else follows `lowercase` (as BERT).
        sequence_length: if set, `call` returns dense ids `[batch, T]` padded
            with the ``[PAD]`` id and truncated to T; else a ragged
            `[batch, (n)]`.
        **kwargs: base `keras.layers.Layer` arguments (name, ...).

    Call args:
        inputs: tf.string tensor `[batch]` or scalar `[]`.

    Returns:
        int32 ids: `[batch, (n)]` ragged (or `[(n)]` for a scalar), or dense
        `[batch, sequence_length]` when `sequence_length` is set.
    """

    def __init__(
        self,
        vocabulary: wpv.Vocabulary | None = None,
        lowercase: bool | None = None,
        strip_accents: bool | None = None,
        sequence_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        lowercase, strip_accents = wpv.resolve_options(vocabulary, lowercase, strip_accents)
        super().__init__(lowercase, strip_accents, sequence_length, **kwargs)
        self._encoder = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)
        self.built = True

    def set_vocabulary(self, vocabulary: wpv.Vocabulary) -> None:
        """Loads the vocabulary (tokens, a `vocab.txt` path or a vocab dir)."""
        encoder = WordPieceEncoder(wpv.load_tokens(vocabulary), self.lowercase, self.strip_accents)
        tokens = tf.constant(encoder.tokens, dtype=tf.string)
        ids = tf.range(len(encoder.tokens), dtype=tf.int64)
        with tf.init_scope():
            self._token_table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tokens, ids), default_value=-1
            )
            self._id_table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(ids, tokens), default_value=encoder.special_ids.unk_token
            )
        self._wordpiece = tf_text.WordpieceTokenizer(
            self._token_table,
            suffix_indicator=wpv.SUFFIX,
            max_bytes_per_word=_MAX_BYTES_PER_WORD,
            token_out_type=tf.int32,
            unknown_token=encoder.special_ids.unk_token,
        )
        self._special_pattern = bert_text.special_pattern(wpv.SPECIAL_TOKENS)
        self._encoder = encoder

    def _check_loaded(self) -> None:
        if self._encoder is None:
            raise ValueError(
                "WordPieceTokenizer has no vocabulary: pass vocabulary=... or load it from a .keras file"
            )

    @property
    def encoder(self) -> WordPieceEncoder:
        """The Python twin with the same vocabulary and options."""
        self._check_loaded()
        return self._encoder

    @property
    def vocabulary(self) -> list[str]:
        """The tokens, id order (what `vocab.txt` holds)."""
        return list(self.encoder.tokens)

    @property
    def special_ids(self) -> SpecialIds:
        """The special ids, read from the vocabulary."""
        return self.encoder.special_ids

    def vocabulary_size(self) -> int:
        """Returns the number of tokens (a Python int)."""
        return self.encoder.vocabulary_size()

    def token_to_id(self, token: str) -> int:
        """Returns the id of `token` (Python), `[UNK]`'s id if absent."""
        return self.encoder.token_to_id(token)

    def id_to_piece(self, i: int) -> str:
        """Returns the token string of id `i` (Python)."""
        return self.encoder.id_to_piece(i)

    @staticmethod
    def is_word_start(piece: str) -> bool:
        """True when `piece` starts a word (it does not start with ``##``)."""
        return WordPieceEncoder.is_word_start(piece)

    def id_to_token(self, ids: Any) -> tf.Tensor | tf.RaggedTensor:
        """Maps ids to token strings in the graph.

        Args:
            ids: int tensor of any shape, e.g. `[batch, k]`, or ragged.

        Returns:
            tf.string tensor of the same shape (``[UNK]`` for an unknown id).
        """
        self._check_loaded()
        if isinstance(ids, tf.RaggedTensor):
            return tf.ragged.map_flat_values(lambda x: self._id_table.lookup(tf.cast(x, tf.int64)), ids)
        return self._id_table.lookup(tf.cast(tf.convert_to_tensor(ids), tf.int64))

    def _special_id(self, pieces: tf.Tensor) -> tf.Tensor:
        """The id of each literal special token in `pieces` `[n]`, -1 elsewhere."""
        out = tf.fill(tf.shape(pieces), -1)
        for token in wpv.SPECIAL_TOKENS:
            out = tf.where(pieces == token, self._encoder.vocab[token], out)
        return out

    def tokenize(self, inputs: Any) -> tf.Tensor | tf.RaggedTensor:
        """Tokenizes strings; see the class docstring for shapes."""
        self._check_loaded()
        text = tf.convert_to_tensor(inputs, dtype=tf.string)
        if text.shape.rank not in (0, 1, None):
            raise ValueError(f"WordPieceTokenizer expects strings of shape [batch] or []. Received: shape {text.shape}")
        scalar = text.shape.rank == 0
        if scalar:
            text = text[tf.newaxis]
        # RegexSplitWithOffsets ends a string at NUL; \x01 is dropped later, like NUL.
        text = tf.strings.regex_replace(text, "\\x00", "\x01")
        pieces = tf_text.regex_split(text, self._special_pattern, self._special_pattern)  # [B, (P)]
        flat = pieces.flat_values  # [N]
        special_id = self._special_id(flat)
        is_special = special_id >= 0
        words = bert_text.tf_basic_tokenize(tf.where(is_special, "", flat), self.lowercase, self.strip_accents)
        flat_words = words.flat_values  # [M]
        too_long = tf.strings.length(flat_words, unit="UTF8_CHAR") > wpv.MAX_CHARS_PER_WORD
        word_ids = self._wordpiece.tokenize(tf.where(too_long, "", flat_words))  # [M, (k)]
        unk_ids = tf.RaggedTensor.from_row_lengths(
            tf.boolean_mask(tf.fill(tf.shape(flat_words), self.special_ids.unk), too_long),
            tf.cast(too_long, tf.int64),
        )  # [M, (0 or 1)]
        word_ids = tf.concat([unk_ids, word_ids.with_row_splits_dtype(tf.int64)], axis=1)
        text_ids = words.with_flat_values(word_ids).merge_dims(1, 2)  # [N, (L)]
        special_rows = tf.RaggedTensor.from_row_lengths(
            tf.boolean_mask(special_id, is_special), tf.cast(is_special, tf.int64)
        )  # [N, (0 or 1)]
        piece_ids = tf.concat([special_rows, text_ids], axis=1)
        ids = tf.RaggedTensor.from_row_splits(piece_ids, pieces.row_splits).merge_dims(1, 2)
        if self.sequence_length is not None:
            ids = ids.to_tensor(default_value=self.special_ids.pad, shape=[None, self.sequence_length])
        if scalar:
            ids = ids[0]
        return ids

    def detokenize(self, ids: Any) -> tf.Tensor:
        """Maps ids back to text, like `WordPieceEncoder.decode`.

        Args:
            ids: int ids `[batch, (n)]` (ragged or dense) or `[n]`.

        Returns:
            tf.string `[batch]` (or a scalar for `[n]` input). ``[PAD] [CLS]
            [SEP] [MASK]`` are dropped, ``##`` pieces glued to the token
            before, and CJK characters get no space between them.
        """
        self._check_loaded()
        if not isinstance(ids, tf.RaggedTensor):
            ids = tf.convert_to_tensor(ids)
        scalar = ids.shape.rank == 1
        if scalar:
            ids = ids[tf.newaxis]
        if not isinstance(ids, tf.RaggedTensor):
            ids = tf.RaggedTensor.from_tensor(ids)
        ids = tf.cast(ids, tf.int64)
        keep = tf.ones_like(ids, dtype=tf.bool)
        for special in self.special_ids.non_maskable():
            keep = tf.logical_and(keep, tf.not_equal(ids, special))
        text = bert_text.tf_join_tokens(self.id_to_token(tf.ragged.boolean_mask(ids, keep)))
        return text[0] if scalar else text

    def save_assets(self, dir_path: str) -> None:
        with open(os.path.join(dir_path, ASSET_FILE), "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(t + "\n" for t in self.vocabulary))

    def load_assets(self, dir_path: str) -> None:
        self.set_vocabulary(os.path.join(dir_path, ASSET_FILE))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["vocabulary"] = None  # restored from the asset file by `load_assets`
        return config
