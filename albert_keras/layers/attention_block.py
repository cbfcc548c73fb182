"""The attention half of a post-LN ALBERT block."""

from typing import Any

import keras

from albert_keras.layers.post_ln_residual import PostLNResidual
from albert_keras.layers.self_attention import SelfAttention

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="albert_keras")
class AttentionBlock(PostLNResidual):
    """Self-attention, then the post-LN residual: `LayerNorm(inputs + Dropout(attention))`.

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
        hidden_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        layer_norm_epsilon: float = 1e-12,
        initializer_range: float = 0.02,
        **kwargs: Any,
    ) -> None:
        super().__init__(dropout=dropout, layer_norm_epsilon=layer_norm_epsilon, **kwargs)
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.initializer_range = initializer_range
        self.attention = SelfAttention(
            hidden_dim,
            num_heads,
            attention_dropout=attention_dropout,
            initializer_range=initializer_range,
            dtype=self.dtype_policy,
            name="self_attention",
        )
        self._make_residual_layers()

    def build(self, input_shape: Shape) -> None:
        self.attention.build(input_shape)
        self._build_residual(input_shape)
        self.built = True

    def call(self, inputs: Tensor, attention_bias: Tensor, training: bool | None = None) -> Tensor:
        x = self.attention(inputs, attention_bias, training=training)
        return self.residual(inputs, x, training=training)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "num_heads": self.num_heads,
                "attention_dropout": self.attention_dropout,
                "initializer_range": self.initializer_range,
            }
        )
        return config
