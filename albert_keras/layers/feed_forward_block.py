"""The feed-forward half of a post-LN ALBERT block."""

import keras

from albert_keras.layers.activations import get_activation, serialize_activation
from albert_keras.layers.dtypes import float32_if_mixed


@keras.saving.register_keras_serializable(package="albert_keras")
class FeedForwardBlock(keras.layers.Layer):
    """Dense H→I, activation, dense I→H, dropout, residual add, LayerNorm.

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
        hidden_dim,
        intermediate_dim,
        activation="gelu_approximate",
        dropout=0.0,
        layer_norm_epsilon=1e-12,
        initializer_range=0.02,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.activation = serialize_activation(activation)
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon
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
        self.output_dropout = keras.layers.Dropout(dropout, dtype=self.dtype_policy)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=float32_if_mixed(self.dtype_policy), name="layer_norm"
        )

    def build(self, input_shape):
        self.intermediate_dense.build(input_shape)
        self.output_dense.build(tuple(input_shape[:-1]) + (self.intermediate_dim,))
        self.layer_norm.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = self.intermediate_dense(inputs)
        x = self.output_dense(x)
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
                "intermediate_dim": self.intermediate_dim,
                "activation": self.activation,
                "dropout": self.dropout,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "initializer_range": self.initializer_range,
            }
        )
        return config
