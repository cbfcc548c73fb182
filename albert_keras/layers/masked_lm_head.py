"""The masked-LM head with a decoder tied to the token embedding table."""

from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from albert_keras.layers.activations import get_activation, serialize_activation
from albert_keras.layers.dtypes import float32_if_mixed
from albert_keras.layers.token_embedding import TokenEmbedding

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="albert_keras")
class MaskedLMHead(keras.layers.Layer):
    """Gathers masked positions, then dense H→E, activation, LayerNorm, tied decoder.

    Call args:
        inputs: `[batch, seq_len, hidden_dim]` sequence output.
        mask_positions: int `[batch, num_predictions]` positions to predict.

    Returns:
        float32 logits `[batch, num_predictions, vocabulary_size]`.

    Args:
        vocabulary_size: V.
        embedding_dim: E.
        activation: transform activation ("gelu_approximate" in ALBERT).
        layer_norm_epsilon: LayerNorm epsilon.
        initializer_range: stddev of the truncated-normal initializer.
        token_embedding: the backbone's `TokenEmbedding`; the decoder is its
            transposed table. Not part of the config: the owning task passes
            it again when it is rebuilt.
    """

    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int,
        activation: str | Callable[[Tensor], Tensor] = "gelu_approximate",
        layer_norm_epsilon: float = 1e-12,
        initializer_range: float = 0.02,
        token_embedding: TokenEmbedding | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if token_embedding is None:
            raise ValueError("`MaskedLMHead` needs the backbone's `token_embedding` to tie its decoder.")
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.activation = serialize_activation(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.token_embedding = token_embedding
        self.dense = keras.layers.Dense(
            embedding_dim,
            activation=get_activation(activation),
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=initializer_range),
            dtype=self.dtype_policy,
            name="transform_dense",
        )
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=float32_if_mixed(self.dtype_policy), name="transform_layer_norm"
        )

    def build(self, input_shape: Shape) -> None:
        self.dense.build(input_shape)
        self.layer_norm.build(tuple(input_shape[:-1]) + (self.embedding_dim,))
        self.output_bias = self.add_weight(
            name="output_bias", shape=(self.vocabulary_size,), initializer="zeros", dtype="float32"
        )
        self.built = True

    def call(self, inputs: Tensor, mask_positions: Tensor) -> Tensor:
        x = ops.take_along_axis(
            inputs, ops.expand_dims(ops.cast(mask_positions, "int32"), -1), axis=1
        )  # [B, M, H]
        x = self.layer_norm(self.dense(x))
        logits = self.token_embedding(x, reverse=True)
        return logits + ops.cast(self.output_bias, "float32")

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], None, self.vocabulary_size)

    def compute_output_spec(
        self, inputs: keras.KerasTensor, mask_positions: keras.KerasTensor
    ) -> keras.KerasTensor:
        shape = (inputs.shape[0], mask_positions.shape[1], self.vocabulary_size)
        return keras.KerasTensor(shape, dtype="float32")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "embedding_dim": self.embedding_dim,
                "activation": self.activation,
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "initializer_range": self.initializer_range,
            }
        )
        return config
