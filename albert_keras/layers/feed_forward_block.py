"""The feed-forward half of a post-LN ALBERT block."""

from collections.abc import Callable
from typing import Any

import keras

from albert_keras.layers.activations import get_activation, serialize_activation
from albert_keras.layers.post_ln_residual import PostLNResidual

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="albert_keras")
class FeedForwardBlock(PostLNResidual):
    """Dense H→I, activation, dense I→H, then the post-LN residual `LayerNorm(inputs + Dropout(x))`.

    Call args:
        inputs: `[batch, seq_len, hidden_dim]`.

    Returns:
        `[batch, seq_len, hidden_dim]`.

    Args:
        hidden_dim: H.
        intermediate_dim: I.
        activation: activation name or callable ("gelu_approximate" in ALBERT).
        dropout: dropout rate on the output.
        layer_norm_epsilon: LayerNorm epsilon.
        initializer_range: stddev of the truncated-normal initializer.
    """

    def __init__(
        self,
        hidden_dim: int,
        intermediate_dim: int,
        activation: str | Callable[[Tensor], Tensor] = "gelu_approximate",
        dropout: float = 0.0,
        layer_norm_epsilon: float = 1e-12,
        initializer_range: float = 0.02,
        **kwargs: Any,
    ) -> None:
        super().__init__(dropout=dropout, layer_norm_epsilon=layer_norm_epsilon, **kwargs)
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.activation = serialize_activation(activation)
        self.initializer_range = initializer_range
        init = keras.initializers.TruncatedNormal(stddev=initializer_range)
        self.intermediate_dense = keras.layers.Dense(
            intermediate_dim,
            activation=get_activation(activation),
            kernel_initializer=init,
            dtype=self.dtype_policy,
            name="intermediate_dense",
        )
        self.output_dense = keras.layers.Dense(
            hidden_dim, kernel_initializer=init, dtype=self.dtype_policy, name="output_dense"
        )
        self._make_residual_layers()

    def build(self, input_shape: Shape) -> None:
        self.intermediate_dense.build(input_shape)
        self.output_dense.build(tuple(input_shape[:-1]) + (self.intermediate_dim,))
        self._build_residual(input_shape)
        self.built = True

    def call(self, inputs: Tensor, training: bool | None = None) -> Tensor:
        x = self.output_dense(self.intermediate_dense(inputs))
        return self.residual(inputs, x, training=training)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "intermediate_dim": self.intermediate_dim,
                "activation": self.activation,
                "initializer_range": self.initializer_range,
            }
        )
        return config
