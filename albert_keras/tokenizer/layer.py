"""`TokenizerLayer`: what the two in-graph tokenizer layers share.

`AlbertTokenizer` (SentencePiece) and `WordPieceTokenizer` (BERT vocab.txt)
both take strings and return ids, ragged `[batch, (n)]` or dense
`[batch, sequence_length]`; this base holds their common constructor checks,
`call`, symbolic output spec and the config keys they share. Each subclass
keeps its vocabulary argument, its ops and its assets.
"""

from typing import Any

import keras
import tensorflow as tf


class TokenizerLayer(keras.layers.Layer):
    """Base of the string → ids tokenizer layers.

    Args:
        lowercase: the resolved lowercasing option.
        strip_accents: the resolved accent-stripping option.
        sequence_length: if set, `call` returns dense ids `[batch, T]`.
        **kwargs: base `keras.layers.Layer` arguments.
    """

    def __init__(self, lowercase: bool, strip_accents: bool, sequence_length: int | None, **kwargs: Any) -> None:
        if sequence_length is not None and (not isinstance(sequence_length, int) or sequence_length < 1):
            raise ValueError(f"`sequence_length` must be a positive int or None. Received: {sequence_length!r}")
        kwargs.setdefault("dtype", "int32")
        super().__init__(**kwargs)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.lowercase, self.strip_accents = bool(lowercase), bool(strip_accents)
        self.sequence_length = sequence_length

    def tokenize(self, inputs: Any) -> tf.Tensor | tf.RaggedTensor:
        raise NotImplementedError

    def call(self, inputs: Any) -> tf.Tensor | tf.RaggedTensor:
        return self.tokenize(inputs)

    def compute_output_spec(self, inputs: keras.KerasTensor) -> keras.KerasTensor:
        if self.sequence_length is None:
            raise ValueError(f"{type(self).__name__} needs `sequence_length` to be used on symbolic inputs")
        return keras.KerasTensor(tuple(inputs.shape) + (self.sequence_length,), dtype="int32")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"lowercase": self.lowercase, "strip_accents": self.strip_accents, "sequence_length": self.sequence_length}
        )
        return config
