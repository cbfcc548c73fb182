"""`AlbertTokenizer`: the in-graph SentencePiece tokenizer (Keras 3 layer).

It runs in `tf.data`, in the TFX Transform graph and inside the served
SavedModel, and gives the same ids as `SentencePieceEncoder` (Python), which
are the ids of google-research/albert `tokenization.py` (`preprocess_text`,
`encode_pieces` with its digit-comma rule, `PieceToId`); the rules are in the
`sentencepiece_encoder` module docstring.

Steps, all TF ops registered by TF core or TF Text 2.12.1:

1. split the input on the literal special tokens ``[CLS]``, ``[SEP]``,
   ``[MASK]``, keeping them (`RegexSplitWithOffsets`);
2. normalize each other segment like ALBERT's `preprocess_text`
   (`StaticRegexReplace`, `NormalizeUTF8`, `StringLower`);
3. cut each segment into pieces with SentencePiece (`SentencepieceOp`,
   `SentencepieceTokenizeOp`): a segment right after a special token, with no
   whitespace between, with a second model that adds no dummy ``▁`` prefix
   (so ``a free [MASK].`` gives ``▁a ▁free [MASK] .``), any other with the
   model itself;
4. split the digit-comma pieces (``▁2014,`` → ``▁2014`` ``,``) as
   `encode_pieces` does (`RegexFullMatch`, a second `SentencepieceTokenizeOp`
   on those pieces, ragged gathers);
5. map every piece, special tokens included, to its id
   (`SentencepieceStringToIdOp`).

So ``"猫是[MASK]。"`` gives ``ids("猫是") + [4] + ids_without_prefix("。")``.

Saving: the SentencePiece model proto is part of the TF graph (an attribute
of the `SentencepieceOp` resource; the no-prefix model is a second one, made
from the first), so `tf.saved_model.save` of anything that tracks this layer
carries it. In a `.keras` file the proto is written as the asset file
``spiece.model`` (`save_assets`/`load_assets`), and the config holds
``proto=None``; the `proto` property gives the bytes, e.g. for the exporter
to write ``assets/spiece.model``.
"""

import hashlib
import os
from typing import Any

import keras
import tensorflow as tf
import tensorflow_text as tf_text

from albert_keras import features
from albert_keras.tokenizer import pieces as piece_rules
from albert_keras.tokenizer import sentencepiece_encoder as spe
from albert_keras.tokenizer import special_ids as special_ids_lib
from albert_keras.tokenizer import vocab
from albert_keras.tokenizer.normalize import normalize, starts_with_space_in_graph

ASSET_FILE = "spiece.model"


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertTokenizer(keras.layers.Layer):
    """Tokenizes strings to ALBERT SentencePiece ids.

    Args:
        proto: the SentencePiece model: proto bytes, a `spiece.model` path or
            a vocabulary directory. `None` only when restoring from a `.keras`
            file (the proto is then loaded by `load_assets`).
        lowercase: lowercase before tokenizing. `None` reads the vocabulary
            directory's `tokenizer.json` (default True).
        strip_accents: NFKD-normalize and drop accents. `None` reads
            `tokenizer.json` (default True).
        sequence_length: if set, `call` returns dense ids `[batch, T]` padded
            with 0 (`<pad>`) and truncated to T; else a ragged `[batch, (n)]`.
        **kwargs: base `keras.layers.Layer` arguments (name, ...).

    Call args:
        inputs: tf.string tensor `[batch]` or scalar `[]`.

    Returns:
        int32 ids: `[batch, (n)]` ragged (or `[(n)]` for a scalar), or dense
        `[batch, sequence_length]` when `sequence_length` is set.
    """

    def __init__(
        self,
        proto: spe.Proto | None = None,
        lowercase: bool | None = None,
        strip_accents: bool | None = None,
        sequence_length: int | None = None,
        **kwargs: Any,
    ) -> None:
        if sequence_length is not None and (not isinstance(sequence_length, int) or sequence_length < 1):
            raise ValueError(f"sequence_length must be a positive int or None, got {sequence_length!r}")
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.lowercase, self.strip_accents = spe.resolve_options(proto, lowercase, strip_accents)
        self.sequence_length = sequence_length
        self._proto = None
        self._encoder = None
        self._sentencepiece = None
        self._continuation = None
        if proto is not None:
            self.set_proto(proto)
        self.built = True

    def set_proto(self, proto: spe.Proto) -> None:
        """Loads the SentencePiece model (bytes, `spiece.model` path or vocab dir)."""
        self._proto = spe.load_proto(proto)
        self._encoder = spe.SentencePieceEncoder(self._proto, self.lowercase, self.strip_accents)
        # The resource's node name must differ between different models: a loaded SavedModel shares
        # `SentencepieceOp` resources with the same node name, so the two models of one layer (or the
        # layers of two vocabularies) would get one model. Named by content, equal models may share.
        digest = hashlib.sha256(self._proto).hexdigest()[:16]
        self._sentencepiece = tf_text.SentencepieceTokenizer(
            model=self._proto, out_type=tf.string, add_bos=False, add_eos=False, name=f"sentencepiece_{digest}"
        )
        self._continuation = tf_text.SentencepieceTokenizer(
            model=vocab.without_dummy_prefix(self._proto),
            out_type=tf.string,
            add_bos=False,
            add_eos=False,
            name=f"sentencepiece_continuation_{digest}",
        )

    @property
    def proto(self) -> bytes:
        """The serialized SentencePiece model (bytes)."""
        self._check_loaded()
        return self._proto

    def _check_loaded(self):
        if self._proto is None:
            raise ValueError(
                "AlbertTokenizer has no SentencePiece model: pass proto=... or load it from a .keras file"
            )

    @property
    def special_ids(self) -> special_ids_lib.SpecialIds:
        """The `SpecialIds` of the vocabulary (checked against the proto when it is loaded)."""
        self._check_loaded()
        return self._encoder.special_ids

    def is_word_start(self, piece: str) -> bool:
        """True when the piece string `piece` starts a word; see `pieces.is_start_piece`."""
        return piece_rules.is_start_piece(piece)

    def vocabulary_size(self) -> int:
        """Returns the number of pieces (a Python int)."""
        self._check_loaded()
        return self._encoder.vocabulary_size()

    def token_to_id(self, token: str) -> int:
        """Returns the id of the piece `token` (Python), `<unk>`'s id if absent."""
        self._check_loaded()
        return self._encoder.sp.piece_to_id(token)

    def id_to_piece(self, i: int) -> str:
        """Returns the piece string of id `i` (Python)."""
        self._check_loaded()
        return self._encoder.id_to_piece(i)

    def id_to_token(self, ids: Any) -> tf.Tensor:
        """Maps ids to piece strings in the graph.

        Args:
            ids: int tensor of any shape, e.g. `[batch, k]`.

        Returns:
            tf.string tensor of the same shape.
        """
        self._check_loaded()
        return self._sentencepiece.id_to_string(tf.cast(ids, tf.int32))

    def tokenize(self, inputs: Any) -> tf.Tensor | tf.RaggedTensor:
        """Tokenizes strings; see the class docstring for shapes."""
        self._check_loaded()
        text = tf.convert_to_tensor(inputs, dtype=tf.string)
        if text.shape.rank not in (0, 1, None):
            raise ValueError(f"AlbertTokenizer expects strings of shape [batch] or [], got shape {text.shape}")
        scalar = text.shape.rank == 0
        if scalar:
            text = text[tf.newaxis]
        parts = tf_text.regex_split(text, spe.SPECIAL_PATTERN, spe.SPECIAL_PATTERN)  # [B, (P)]
        flat = parts.flat_values  # [N]
        is_special = tf.strings.regex_full_match(flat, spe.SPECIAL_PATTERN)  # [N]
        previous = parts.with_flat_values(is_special)[:, :-1]
        after_special = tf.concat([tf.zeros_like(parts[:, :1], tf.bool), previous], axis=1).flat_values
        continues = after_special & ~is_special & ~starts_with_space_in_graph(flat)
        plain = tf.where(is_special, "", normalize(flat, self.lowercase, self.strip_accents))
        special = tf.RaggedTensor.from_row_lengths(
            tf.boolean_mask(flat, is_special), tf.cast(is_special, tf.int64)
        )  # [N, (0 or 1)]
        segment_pieces = tf.concat(
            [
                special,
                self._sentencepiece.tokenize(tf.where(continues, "", plain)),
                self._continuation.tokenize(tf.where(continues, plain, "")),
            ],
            axis=1,
        )  # [N, (L)]: one of the three is non-empty per segment
        pieces = tf.RaggedTensor.from_row_splits(segment_pieces, parts.row_splits).merge_dims(1, 2)  # [B, (T)]
        pieces = pieces.with_flat_values(self._split_digit_comma(pieces.flat_values)).merge_dims(1, 2)
        ids = self._sentencepiece.string_to_id(pieces)
        if self.sequence_length is not None:
            ids = ids.to_tensor(default_value=features.PAD_ID, shape=[None, self.sequence_length])
        if scalar:
            ids = ids[0]
        return ids

    def _split_digit_comma(self, pieces: tf.Tensor) -> tf.RaggedTensor:
        """The digit-comma rule of `encode_pieces` on pieces `[M]`: returns `[M, (r)]` pieces."""
        underline = piece_rules.SPIECE_UNDERLINE
        hit = tf.strings.regex_full_match(pieces, piece_rules.digit_comma_pattern())  # [M]
        targets = tf.boolean_mask(pieces, hit)  # [K]
        core = tf.strings.regex_replace(tf.strings.regex_replace(targets, ",$", ""), underline, "")
        new = self._sentencepiece.tokenize(core)  # [K, (J)]
        no_marker = ~tf.strings.regex_full_match(targets, "(?s)" + underline + ".*")  # [K]
        first = tf.equal(tf.ragged.range(new.row_lengths()), 0)  # [K, (J)]
        strip = first & tf.expand_dims(no_marker, 1)
        new_values = tf.where(
            strip.flat_values, tf.strings.regex_replace(new.flat_values, "^" + underline, ""), new.flat_values
        )
        new = tf.ragged.boolean_mask(new.with_flat_values(new_values), new.with_flat_values(new_values != ""))
        comma = tf.RaggedTensor.from_row_lengths(tf.fill(tf.shape(targets), ","), tf.ones_like(new.row_lengths()))
        new = tf.concat([new, comma], axis=1)  # [K, (J' + 1)]
        size = tf.shape(pieces, out_type=tf.int64)[0]
        kept = tf.RaggedTensor.from_row_lengths(pieces, tf.ones([size], tf.int64))  # [M, (1)]
        rows = tf.concat([kept, new], axis=0)  # [M + K, (r)]
        index = tf.where(hit, size + tf.cumsum(tf.cast(hit, tf.int64)) - 1, tf.range(size, dtype=tf.int64))
        return tf.gather(rows, index)

    def detokenize(self, ids: Any) -> tf.Tensor:
        """Maps ids back to text.

        Args:
            ids: int ids `[batch, (n)]` (ragged or dense, padding 0 is
                dropped) or `[n]`.

        Returns:
            tf.string `[batch]` (or a scalar for `[n]` input). Special tokens
            are dropped.
        """
        self._check_loaded()
        if isinstance(ids, tf.RaggedTensor):
            return self._sentencepiece.detokenize(tf.cast(ids, tf.int32))
        return self._sentencepiece.detokenize(tf.cast(tf.convert_to_tensor(ids), tf.int32))

    def call(self, inputs: Any) -> tf.Tensor | tf.RaggedTensor:
        return self.tokenize(inputs)

    def compute_output_spec(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        if self.sequence_length is None:
            raise ValueError("AlbertTokenizer needs sequence_length to be used on symbolic inputs")
        shape = tuple(inputs.shape) + (self.sequence_length,)
        return keras.KerasTensor(shape, dtype="int32")

    def save_assets(self, dir_path: str) -> None:
        with open(os.path.join(dir_path, ASSET_FILE), "wb") as f:
            f.write(self.proto)

    def load_assets(self, dir_path: str) -> None:
        self.set_proto(os.path.join(dir_path, ASSET_FILE))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "proto": None,
                "lowercase": self.lowercase,
                "strip_accents": self.strip_accents,
                "sequence_length": self.sequence_length,
            }
        )
        return config
