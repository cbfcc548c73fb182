"""The attention half of a post-LN ALBERT block."""

import keras

from albert_keras.layers.dtypes import float32_if_mixed
from albert_keras.layers.self_attention import SelfAttention


@keras.saving.register_keras_serializable(package="albert_keras")
class AttentionBlock(keras.layers.Layer):
    """Self-attention, dropout, residual add, then LayerNorm (post-LN).

    Call args:
        inputs: `[batch, seq_len, hidden_dim]`.
        attention_bias: `[batch, 1, 1, seq_len]` additive mask.

    Returns:
        `[batch, seq_len, hidden_dim]`.

    Args:
        hidden_dim: H.
        num_heads: N.
        dropout: dropout rate on the attention output.
        attention_dropout: dropout rate on the attention probabilities.
        layer_norm_epsilon: LayerNorm epsilon (1e-12 in the original).
        initializer_range: stddev of the truncated-normal initializer.
    """

    def __init__(
        self,
        hidden_dim,
        num_heads,
        dropout=0.0,
        attention_dropout=0.0,
        layer_norm_epsilon=1e-12,
        initializer_range=0.02,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.attention = SelfAttention(
            hidden_dim,
            num_heads,
            attention_dropout=attention_dropout,
            initializer_range=initializer_range,
            dtype=self.dtype_policy,
            name="self_attention",
        )
        self.output_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=float32_if_mixed(self.dtype_policy), name="layer_norm"
        )

    def build(self, input_shape):
        self.attention.build(input_shape)
        self.layer_norm.build(input_shape)
        self.built = True

    def call(self, inputs, attention_bias, training=None):
        x = self.attention(inputs, attention_bias, training=training)
        x = self.output_dropout(x, training=training)
        out = self.layer_norm(keras.ops.cast(inputs, x.dtype) + x)
        return keras.ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "num_heads": self.num_heads,
                "dropout": self.dropout,
                "attention_dropout": self.attention_dropout,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "initializer_range": self.initializer_range,
            }
        )
        return config
