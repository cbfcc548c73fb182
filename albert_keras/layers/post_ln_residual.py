"""The post-LN residual that both halves of an ALBERT block end with."""

from typing import Any

import keras

from albert_keras.layers.dtypes import float32_if_mixed

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="albert_keras")
class PostLNResidual(keras.layers.Layer):
    """Base of `AttentionBlock` and `FeedForwardBlock`: `LayerNorm(inputs + Dropout(x))`.

    A subclass computes its sub-layer output `x` (self-attention, or the
    two dense layers) and returns `self.residual(inputs, x)`: dropout on `x`,
    the residual add, then LayerNorm (in float32 under mixed precision), cast
    back to the layer's compute dtype. This is the post-LN order of the
    original ALBERT and BERT.

    A subclass calls `_make_residual_layers()` after creating its own
    sublayers, so that the weight order stays sub-layer first, LayerNorm
    last, and builds the LayerNorm with `_build_residual(input_shape)`.
    The attribute names `output_dropout` and `layer_norm` are part of the
    weight paths that saved models, checkpoints and the converters
    (`albert_keras.convert.name_map`) use.

    Args:
        dropout: dropout rate on the sub-layer output.
        layer_norm_epsilon: LayerNorm epsilon (1e-12 in the original).
        **kwargs: `keras.layers.Layer` args (`name`, `dtype`, ...).
    """

    def __init__(self, dropout: float = 0.0, layer_norm_epsilon: float = 1e-12, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dropout = dropout
        self.layer_norm_epsilon = layer_norm_epsilon

    def _make_residual_layers(self) -> None:
        self.output_dropout = keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)
        self.layer_norm = keras.layers.LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=float32_if_mixed(self.dtype_policy), name="layer_norm"
        )

    def _build_residual(self, input_shape: Shape) -> None:
        self.layer_norm.build(input_shape)

    def residual(self, inputs: Tensor, x: Tensor, training: bool | None = None) -> Tensor:
        """`LayerNorm(inputs + Dropout(x))` in the layer's compute dtype.

        Args:
            inputs: the block input `[batch, seq_len, hidden_dim]`.
            x: the sub-layer output, same shape.
            training: whether dropout is active.

        Returns:
            `[batch, seq_len, hidden_dim]`.
        """
        x = self.output_dropout(x, training=training)
        out = self.layer_norm(keras.ops.cast(inputs, x.dtype) + x)
        return keras.ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"dropout": self.dropout, "layer_norm_epsilon": self.layer_norm_epsilon})
        return config
