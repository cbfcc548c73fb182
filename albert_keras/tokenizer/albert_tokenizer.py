"""`AlbertTokenizer`: the in-graph SentencePiece tokenizer (Keras 3 layer).

It runs in `tf.data`, in the TFX Transform graph and inside the served
SavedModel, and gives the same ids as `SentencePieceEncoder` (Python).

Steps, all TF ops registered by TF core or TF Text 2.12:

1. split the input on the literal special tokens ``[CLS]``, ``[SEP]``,
   ``[MASK]``, keeping them (`RegexSplitWithOffsets`);
2. normalize each other piece like ALBERT's `preprocess_text`
   (`StaticRegexReplace`, `NormalizeUTF8`, `StringLower`);
3. tokenize each piece with SentencePiece (`SentencepieceOp`,
   `SentencepieceTokenizeOp`) and give each special token its id;
4. join the pieces of each input back into one row.

So ``"猫是[MASK]。"`` gives ``ids("猫是") + [4] + ids("。")``. Like the
Hugging Face ALBERT tokenizer, the text after a special token is tokenized as
the start of a text (it may get a leading ``▁`` piece).

Saving: the SentencePiece model proto is part of the TF graph (an attribute
of the `SentencepieceOp` resource), so `tf.saved_model.save` of anything that
tracks this layer carries it. In a `.keras` file the proto is written as the
asset file ``spiece.model`` (`save_assets`/`load_assets`), and the config
holds ``proto=None``; the `proto` property gives the bytes, e.g. for the
exporter to write ``assets/spiece.model``.
"""

import os
from typing import Any

import keras
import tensorflow as tf
import tensorflow_text as tf_text

from albert_keras import features
from albert_keras.tokenizer import sentencepiece_encoder as spe
from albert_keras.tokenizer import special_ids as special
from albert_keras.tokenizer.normalize import normalize

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
        if proto is not None:
            self.set_proto(proto)
        self.built = True

    def set_proto(self, proto: spe.Proto) -> None:
        """Loads the SentencePiece model (bytes, `spiece.model` path or vocab dir)."""
        self._proto = spe.load_proto(proto)
        self._encoder = spe.SentencePieceEncoder(self._proto, self.lowercase, self.strip_accents)
        self._sentencepiece = tf_text.SentencepieceTokenizer(
            model=self._proto, out_type=tf.int32, add_bos=False, add_eos=False
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
        pieces = tf_text.regex_split(text, spe.SPECIAL_PATTERN, spe.SPECIAL_PATTERN)  # [B, (P)]
        flat = pieces.flat_values  # [N]
        special_id = tf.where(
            flat == features.CLS_TOKEN,
            features.CLS_ID,
            tf.where(flat == features.SEP_TOKEN, features.SEP_ID,
                     tf.where(flat == features.MASK_TOKEN, features.MASK_ID, -1)),
        )
        is_special = special_id >= 0
        plain = tf.where(is_special, "", normalize(flat, self.lowercase, self.strip_accents))
        plain_ids = self._sentencepiece.tokenize(plain)  # [N, (L)]
        special_ids = tf.RaggedTensor.from_row_lengths(
            tf.boolean_mask(special_id, is_special), tf.cast(is_special, tf.int64)
        )  # [N, (0 or 1)]
        piece_ids = tf.concat([tf.cast(special_ids, tf.int32), plain_ids], axis=1)
        ids = tf.RaggedTensor.from_row_splits(piece_ids, pieces.row_splits).merge_dims(1, 2)
        if self.sequence_length is not None:
            ids = ids.to_tensor(default_value=features.PAD_ID, shape=[None, self.sequence_length])
        if scalar:
            ids = ids[0]
        return ids

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

    @property
    def special_ids(self) -> special.SpecialIds:
        """The special ids of the ALBERT SentencePiece vocabulary (0..4)."""
        return special.SENTENCEPIECE

    def is_word_start(self, piece: str) -> bool:
        """True when the piece string `piece` starts a word (whole-word masking)."""
        return spe.is_word_start(piece)
