"""Multi-head self-attention with the original ALBERT's weights and numerics."""

import math
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="albert_keras")
class SelfAttention(keras.layers.Layer):
    """Multi-head self-attention with q/k/v/output biases.

    The q, k and v kernels are kept as three `[hidden_dim, hidden_dim]`
    weights (the original and HF layout, so converters copy them as they are)
    and are fused into one `[hidden_dim, 3 * hidden_dim]` matmul at call time.
    Scores and softmax run in float32.

    Call args:
        inputs: `[batch, seq_len, hidden_dim]`.
        attention_bias: `[batch, 1, 1, seq_len]` additive mask, 0 on real
            tokens and -10000 on padding (computed once per batch by the
            backbone).
        training: whether dropout is active.

    Returns:
        `[batch, seq_len, hidden_dim]` (before the residual and LayerNorm).

    Args:
        hidden_dim: H, divisible by `num_heads`.
        num_heads: N.
        attention_dropout: dropout rate on the attention probabilities.
        initializer_range: stddev of the truncated-normal initializer.
    """

    def __init__(
        self,
        hidden_dim: int,
        num_heads: int,
        attention_dropout: float = 0.0,
        initializer_range: float = 0.02,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if hidden_dim % num_heads != 0:
            raise ValueError(
                "`hidden_dim` must be divisible by `num_heads`. "
                f"Received: hidden_dim={hidden_dim}, num_heads={num_heads}"
            )
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.initializer_range = initializer_range
        self.head_dim = hidden_dim // num_heads
        self._dropout = keras.layers.Dropout(attention_dropout, dtype=self.dtype_policy)

    def build(self, input_shape: Shape) -> None:
        init = keras.initializers.TruncatedNormal(stddev=self.initializer_range)
        h = self.hidden_dim
        for name in ("query", "key", "value", "output"):
            setattr(self, f"{name}_kernel", self.add_weight(name=f"{name}_kernel", shape=(h, h), initializer=init))
            setattr(self, f"{name}_bias", self.add_weight(name=f"{name}_bias", shape=(h,), initializer="zeros"))
        self.built = True

    def call(self, inputs: Tensor, attention_bias: Tensor, training: bool | None = None) -> Tensor:
        batch, seq_len = ops.shape(inputs)[0], ops.shape(inputs)[1]
        query, key, value = self._heads(inputs)
        scores = self._scores(query, key, attention_bias)
        probs = ops.softmax(scores, axis=-1)
        probs = self._dropout(ops.cast(probs, self.compute_dtype), training=training)
        context = ops.matmul(probs, value)  # [B, N, T, D]
        context = ops.reshape(ops.transpose(context, (0, 2, 1, 3)), (batch, seq_len, self.hidden_dim))
        return ops.matmul(context, ops.cast(self.output_kernel, self.compute_dtype)) + ops.cast(
            self.output_bias, self.compute_dtype
        )

    def attention_scores(self, inputs: Tensor, attention_bias: Tensor) -> Tensor:
        """The attention logits before the softmax (what distillation compares).

        Args:
            inputs: `[batch, seq_len, hidden_dim]`.
            attention_bias: `[batch, 1, 1, seq_len]` additive mask.

        Returns:
            float32 `[batch, num_heads, seq_len, seq_len]`: scaled q·k plus
            the mask, exactly the logits `call` takes the softmax of.
        """
        query, key, _ = self._heads(inputs)
        return self._scores(query, key, attention_bias)

    def _heads(self, inputs):
        """Fused QKV projection: query (scaled by 1/sqrt(D)), key, value, each `[B, N, T, D]`."""
        batch, seq_len = ops.shape(inputs)[0], ops.shape(inputs)[1]
        n, d = self.num_heads, self.head_dim
        kernel = ops.concatenate([self.query_kernel, self.key_kernel, self.value_kernel], axis=1)
        bias = ops.concatenate([self.query_bias, self.key_bias, self.value_bias], axis=0)
        qkv = ops.matmul(inputs, ops.cast(kernel, self.compute_dtype)) + ops.cast(bias, self.compute_dtype)
        qkv = ops.reshape(qkv, (batch, seq_len, 3, n, d))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))  # [3, B, N, T, D]
        query, key, value = qkv[0], qkv[1], qkv[2]
        return query * ops.cast(1.0 / math.sqrt(d), query.dtype), key, value

    def _scores(self, query, key, attention_bias):
        scores = ops.matmul(query, ops.transpose(key, (0, 1, 3, 2)))  # [B, N, T, T]
        return ops.cast(scores, "float32") + ops.cast(attention_bias, "float32")

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

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
