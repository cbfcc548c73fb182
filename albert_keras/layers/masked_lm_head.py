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

    With `hidden_dim` and `embeddings_projection` (a backbone with
    `embedding_projection="token_only"`, brightmart's albert_zh), the
    transform is dense H→H and LayerNorm in H, and its output is projected
    H→E by the transposed E→H projection kernel before the tied decoder.

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
        hidden_dim: H, only with `embeddings_projection`: the width of the
            transform. None (default): the transform is H→E.
        embeddings_projection: the backbone's bias-free E→H `Dense`, only
            with `hidden_dim`; its kernel `[E, H]`, transposed, takes the
            transform's output back to E. Not part of the config, like
            `token_embedding`.
    """

    def __init__(
        self,
        vocabulary_size: int,
        embedding_dim: int,
        activation: str | Callable[[Tensor], Tensor] = "gelu_approximate",
        layer_norm_epsilon: float = 1e-12,
        initializer_range: float = 0.02,
        token_embedding: TokenEmbedding | None = None,
        hidden_dim: int | None = None,
        embeddings_projection: keras.layers.Dense | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if token_embedding is None:
            raise ValueError("`MaskedLMHead` needs the backbone's `token_embedding` to tie its decoder.")
        if (hidden_dim is None) != (embeddings_projection is None):
            raise ValueError(
                "`hidden_dim` and `embeddings_projection` must be given together. "
                f"Received: hidden_dim={hidden_dim}, embeddings_projection={embeddings_projection!r}"
            )
        if embeddings_projection is not None and embeddings_projection.use_bias:
            raise ValueError(
                "`embeddings_projection` must be the bias-free E→H projection of a backbone with "
                f"embedding_projection='token_only'. Received: a Dense with a bias ({embeddings_projection.name})"
            )
        self.hidden_dim = hidden_dim
        self.embeddings_projection = embeddings_projection
        self.vocabulary_size = vocabulary_size
        self.embedding_dim = embedding_dim
        self.activation = serialize_activation(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.token_embedding = token_embedding
        self.transform_dim = embedding_dim if hidden_dim is None else hidden_dim
        self.dense = keras.layers.Dense(
            self.transform_dim,
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
        self.layer_norm.build(tuple(input_shape[:-1]) + (self.transform_dim,))
        self.output_bias = self.add_weight(
            name="output_bias", shape=(self.vocabulary_size,), initializer="zeros", dtype="float32"
        )
        self.built = True

    def call(self, inputs: Tensor, mask_positions: Tensor) -> Tensor:
        x = ops.take_along_axis(
            inputs, ops.expand_dims(ops.cast(mask_positions, "int32"), -1), axis=1
        )  # [B, M, H]
        x = self.layer_norm(self.dense(x))  # [B, M, E], or [B, M, H] with `embeddings_projection`
        if self.embeddings_projection is not None:
            kernel = ops.cast(self.embeddings_projection.kernel, "float32")  # [E, H]
            x = ops.matmul(ops.cast(x, "float32"), ops.transpose(kernel))  # [B, M, E]
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
                "hidden_dim": self.hidden_dim,
            }
        )
        return config
