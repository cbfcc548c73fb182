"""`AlbertPreprocessor`: raw strings (and optional text_b) to model inputs."""

import os
from typing import Any

import keras
import tensorflow as tf

from albert_keras import features
from albert_keras.preprocessing.packer import pack
from albert_keras.tokenizer import loading

Tokenizer = loading.Tokenizer  # an `AlbertTokenizer` (SentencePiece) or a `WordPieceTokenizer`


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertPreprocessor(keras.layers.Layer):
    """Tokenizes and packs text for the ALBERT models.

    Usable eagerly, in `tf.data.Dataset.map` (batched or per example) and in a
    `tf.function` serving signature.

    Args:
        tokenizer: an `AlbertTokenizer` (SentencePiece) or a
            `WordPieceTokenizer` (its own `sequence_length` must be None).
            The packed [CLS], [SEP] and padding ids are its `special_ids`.
        sequence_length: T, the packed length.
        **kwargs: base `keras.layers.Layer` arguments.

    Call args:
        inputs: tf.string `[batch]` (or `[]`) text, or a list of strings
            (a batch); or a tuple `(text, text_b)`; or a dict with `features.TEXT` and optionally
            `features.TEXT_B`.
        text_b: optional second text, the same as passing `(inputs, text_b)`.

    Returns:
        A dict of int32 tensors `token_ids`, `segment_ids`, `padding_mask`,
        each `[batch, T]` (or `[T]` for scalar input). Empty text gives
        ``[CLS] [SEP]``.
    """

    def __init__(
        self, tokenizer: Tokenizer | dict[str, Any], sequence_length: int = 128, **kwargs: Any
    ) -> None:
        classes = loading.tokenizer_classes()  # imported: so registered for deserialization
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        if not isinstance(tokenizer, classes):
            raise ValueError(
                f"`tokenizer` must be one of {[c.__name__ for c in classes]}. Received: a {type(tokenizer).__name__}"
            )
        if tokenizer.sequence_length is not None:
            raise ValueError(
                f"tokenizer must give ragged ids (sequence_length=None), got {tokenizer.sequence_length}"
            )
        if not isinstance(sequence_length, int) or sequence_length < 3:
            raise ValueError(f"sequence_length must be an int >= 3, got {sequence_length!r}")
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length
        self.built = True

    @classmethod
    def from_vocab_dir(
        cls, vocab_dir: str | os.PathLike, sequence_length: int = 128, **kwargs: Any
    ) -> "AlbertPreprocessor":
        """Builds the preprocessor from a vocabulary dir (`albert vocab` output) or a model dir.

        The tokenizer kind follows the files: ``spiece.model`` gives an
        `AlbertTokenizer`, ``vocab.txt`` a `WordPieceTokenizer`.
        """
        return cls(loading.load_tokenizer(vocab_dir), sequence_length=sequence_length, **kwargs)

    def call(self, inputs: Any, text_b: Any = None) -> dict[str, tf.Tensor]:
        if text_b is not None:
            # `dataset.map(preprocessor)` on (text, text_b) elements passes two arguments.
            inputs = (inputs, text_b)
        if isinstance(inputs, dict):
            if features.TEXT not in inputs:
                raise ValueError(f"AlbertPreprocessor expects a {features.TEXT!r} key, got {sorted(inputs)}")
            text, text_b = inputs[features.TEXT], inputs.get(features.TEXT_B)
        elif isinstance(inputs, tuple):
            if len(inputs) not in (1, 2):
                raise ValueError(f"AlbertPreprocessor expects (text,) or (text, text_b), got {len(inputs)} items")
            text, text_b = inputs[0], (inputs[1] if len(inputs) == 2 else None)
        else:
            text, text_b = inputs, None
        text = tf.convert_to_tensor(text, dtype=tf.string)
        scalar = text.shape.rank == 0
        if scalar:
            text = text[tf.newaxis]
        ids_a = self.tokenizer.tokenize(text)
        ids_b = None
        if text_b is not None:
            text_b = tf.convert_to_tensor(text_b, dtype=tf.string)
            if scalar:
                text_b = text_b[tf.newaxis]
            ids_b = self.tokenizer.tokenize(text_b)
        packed = pack(ids_a, ids_b, self.sequence_length, self.tokenizer.special_ids)
        if scalar:
            packed = {k: v[0] for k, v in packed.items()}
        return packed

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "tokenizer": keras.saving.serialize_keras_object(self.tokenizer),
                "sequence_length": self.sequence_length,
            }
        )
        return config
