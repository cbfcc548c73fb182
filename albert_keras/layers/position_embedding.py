"""Learned absolute position embeddings."""

import keras
from keras import ops


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

    def __init__(self, max_sequence_length, embedding_dim, initializer_range=0.02, **kwargs):
        super().__init__(**kwargs)
        self.max_sequence_length = max_sequence_length
        self.embedding_dim = embedding_dim
        self.initializer_range = initializer_range

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.max_sequence_length, self.embedding_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=self.initializer_range),
        )
        self.built = True

    def call(self, inputs):
        seq_len = ops.shape(inputs)[1]
        return ops.expand_dims(self.embeddings[:seq_len], 0)

    def compute_output_shape(self, input_shape):
        return (1, input_shape[1], self.embedding_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_sequence_length": self.max_sequence_length,
                "embedding_dim": self.embedding_dim,
                "initializer_range": self.initializer_range,
            }
        )
        return config
