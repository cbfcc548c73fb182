"""Learned absolute position embeddings."""

from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="albert_keras")
class PositionEmbedding(keras.layers.Layer):
    """A `[max_sequence_length, embedding_dim]` table sliced to the input length.

    Call on any tensor `[batch, seq_len, ...]` → `[1, seq_len, embedding_dim]`
    (broadcasts over the batch).

    Args:
        max_sequence_length: the most positions the table holds.
        embedding_dim: E.
        initializer_range: stddev of the truncated-normal initializer.
    """

    def __init__(
        self, max_sequence_length: int, embedding_dim: int, initializer_range: float = 0.02, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.max_sequence_length = max_sequence_length
        self.embedding_dim = embedding_dim
        self.initializer_range = initializer_range

    def build(self, input_shape: Shape | None = None) -> None:
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.max_sequence_length, self.embedding_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=self.initializer_range),
        )
        self.built = True

    def call(self, inputs: Tensor) -> Tensor:
        seq_len = ops.shape(inputs)[1]
        return ops.expand_dims(self.embeddings[:seq_len], 0)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (1, input_shape[1], self.embedding_dim)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "max_sequence_length": self.max_sequence_length,
                "embedding_dim": self.embedding_dim,
                "initializer_range": self.initializer_range,
            }
        )
        return config
