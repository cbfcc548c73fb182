"""`SelfAttention` and `AttentionBlock`, through the shared checks and against numpy."""

import numpy as np
import pytest
from scipy.special import softmax

from albert_keras.layers.attention_block import AttentionBlock
from albert_keras.layers.self_attention import SelfAttention
from albert_keras.models.backbone import make_attention_bias
from tests.test_case import run_layer_test

B, T, H, N = 2, 5, 8, 2
X = np.random.default_rng(0).normal(size=(B, T, H)).astype("float32")
PADDING_MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], "int32")
BIAS = np.asarray(make_attention_bias(PADDING_MASK))  # [B, 1, 1, T]


def _numpy_attention(layer, x, bias):
    """Per-projection multi-head attention in numpy, the textbook way."""
    w = {name: np.asarray(getattr(layer, name)) for name in (
        "query_kernel", "key_kernel", "value_kernel", "output_kernel",
        "query_bias", "key_bias", "value_bias", "output_bias")}

    def heads(t):  # [B, T, H] -> [B, N, T, D]
        return t.reshape(B, T, N, H // N).transpose(0, 2, 1, 3)

    q = heads(x @ w["query_kernel"] + w["query_bias"])
    k = heads(x @ w["key_kernel"] + w["key_bias"])
    v = heads(x @ w["value_kernel"] + w["value_bias"])
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(H // N) + bias
    context = (softmax(scores, -1) @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
    return context @ w["output_kernel"] + w["output_bias"], scores


def _randomize(layer, seed=1):
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32") + (1.0 if "gamma" in weight.path else 0.0))


def test_self_attention():
    layer = run_layer_test(
        SelfAttention,
        {"hidden_dim": H, "num_heads": N},
        (X, BIAS),
        expected_output_shape=(B, T, H),
        expected_num_trainable_weights=8,
    )
    _randomize(layer)
    want, want_scores = _numpy_attention(layer, X, BIAS)
    np.testing.assert_allclose(np.asarray(layer(X, BIAS)), want, atol=1e-5)
    np.testing.assert_allclose(np.asarray(layer.attention_scores(X, BIAS)), want_scores, atol=1e-4)


def test_self_attention_ignores_padded_keys():
    layer = SelfAttention(H, N)
    layer(X, BIAS)
    _randomize(layer)
    changed = X.copy()
    changed[1, 3:] += 5.0  # only the padded positions of row 1
    np.testing.assert_allclose(np.asarray(layer(changed, BIAS))[1, :3], np.asarray(layer(X, BIAS))[1, :3], atol=1e-5)
    assert not np.allclose(np.asarray(layer(changed, BIAS * 0))[1, :3], np.asarray(layer(X, BIAS * 0))[1, :3])


def test_self_attention_rejects_indivisible_heads():
    with pytest.raises(ValueError, match="`hidden_dim` must be divisible by `num_heads`. Received: hidden_dim=8"):
        SelfAttention(8, 3)


def test_attention_block_is_post_layer_norm_residual():
    block = run_layer_test(
        AttentionBlock,
        {"hidden_dim": H, "num_heads": N, "dropout": 0.1, "attention_dropout": 0.1},
        (X, BIAS),
        expected_output_shape=(B, T, H),
        expected_num_trainable_weights=10,  # q/k/v/output kernels and biases, LayerNorm gamma and beta
    )
    _randomize(block)
    attention, _ = _numpy_attention(block.attention, X, BIAS)
    residual = X + attention
    mean, var = residual.mean(-1, keepdims=True), residual.var(-1, keepdims=True)
    gamma, beta = np.asarray(block.layer_norm.gamma), np.asarray(block.layer_norm.beta)
    want = (residual - mean) / np.sqrt(var + 1e-12) * gamma + beta
    np.testing.assert_allclose(np.asarray(block(X, BIAS)), want, atol=1e-4)
    assert not np.allclose(np.asarray(block(X, BIAS, training=True)), want, atol=1e-4)  # dropout is wired in
