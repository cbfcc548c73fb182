"""The factorized token table, usable in reverse as the tied MLM decoder."""

from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="albert_keras")
class TokenEmbedding(keras.layers.Layer):
    """A `[vocabulary_size, embedding_dim]` table that can also decode.

    `call(ids)` looks up ids `[batch, seq_len]` → `[batch, seq_len, embedding_dim]`.
    `call(x, reverse=True)` multiplies `x` `[..., embedding_dim]` by the
    transposed table → logits `[..., vocabulary_size]`; the masked-LM head uses
    this to tie its decoder to the input embeddings. Reverse logits are
    computed in float32.

    Args:
        vocabulary_size: V.
        embedding_dim: E.
        initializer_range: stddev of the truncated-normal initializer.
    """

    def __init__(
        self, vocabulary_size: int, embedding_dim: int, initializer_range: float = 0.02, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if vocabulary_size <= 0 or embedding_dim <= 0:
            raise ValueError(
                "`vocabulary_size` and `embedding_dim` must be positive. "
                f"Received: vocabulary_size={vocabulary_size}, embedding_dim={embedding_dim}"
            )
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.initializer_range = initializer_range

    def build(self, input_shape: Shape | None = None) -> None:
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.vocabulary_size, self.embedding_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=self.initializer_range),
        )
        self.built = True

    def call(self, inputs: Tensor, reverse: bool = False) -> Tensor:
        if reverse:
            x = ops.cast(inputs, "float32")
            table = ops.cast(self.embeddings, "float32")
            return ops.matmul(x, ops.transpose(table))
        return ops.take(self.embeddings, ops.cast(inputs, "int32"), axis=0)

    def compute_output_shape(self, input_shape: Shape, reverse: bool = False) -> Shape:
        if reverse:
            return tuple(input_shape[:-1]) + (self.vocabulary_size,)
        return tuple(input_shape) + (self.embedding_dim,)

    def compute_output_spec(self, inputs: keras.KerasTensor, reverse: bool = False) -> keras.KerasTensor:
        shape = self.compute_output_shape(inputs.shape, reverse=reverse)
        dtype = "float32" if reverse else self.compute_dtype
        return keras.KerasTensor(shape, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "initializer_range": self.initializer_range,
            }
        )
        return config
