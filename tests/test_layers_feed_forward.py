"""`FeedForwardBlock` and the activations, through the shared checks and against numpy."""

import keras
import numpy as np
import pytest

from albert_keras.layers.activations import gelu_approximate, get_activation, serialize_activation
from albert_keras.layers.feed_forward_block import FeedForwardBlock
from tests.test_case import run_layer_test

X = np.random.default_rng(0).normal(size=(2, 5, 8)).astype("float32")


def _layer_norm(x, gamma, beta, eps=1e-12):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps) * gamma + beta


@pytest.mark.parametrize("activation", ["gelu_approximate", "relu"])
def test_feed_forward_block_is_post_layer_norm_residual(activation):
    block = run_layer_test(
        FeedForwardBlock,
        {"hidden_dim": 8, "intermediate_dim": 16, "activation": activation, "dropout": 0.1},
        X,
        expected_output_shape=(2, 5, 8),
        expected_num_trainable_weights=6,  # two kernels, two biases, LayerNorm gamma and beta
    )
    rng = np.random.default_rng(1)
    for weight in block.weights:
        weight.assign(rng.normal(0, 0.3, weight.shape).astype("float32") + (1.0 if "gamma" in weight.path else 0.0))
    act = np.asarray(get_activation(activation)(keras.ops.convert_to_tensor(
        X @ np.asarray(block.intermediate_dense.kernel) + np.asarray(block.intermediate_dense.bias))))
    residual = X + act @ np.asarray(block.output_dense.kernel) + np.asarray(block.output_dense.bias)
    want = _layer_norm(residual, np.asarray(block.layer_norm.gamma), np.asarray(block.layer_norm.beta))
    np.testing.assert_allclose(np.asarray(block(X)), want, atol=1e-4)
    assert not np.allclose(np.asarray(block(X, training=True)), want, atol=1e-4)  # dropout is wired in


def test_gelu_approximate_is_the_tanh_formula():
    x = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 3.0], "float32")
    want = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(np.asarray(gelu_approximate(keras.ops.convert_to_tensor(x))), want, atol=1e-6)
    # It is not the exact erf GELU, which differs by more than 1e-4 on these points.
    exact = np.asarray(keras.activations.gelu(keras.ops.convert_to_tensor(x), approximate=False))
    assert np.abs(exact - want).max() > 1e-4


@pytest.mark.parametrize("name", ["gelu_approximate", "gelu_new", "gelu"])
def test_original_and_hf_names_resolve_to_the_tanh_gelu(name):
    assert get_activation(name) is gelu_approximate
    assert serialize_activation(get_activation(name)) == "gelu_approximate"


def test_keras_activations_and_callables_pass_through():
    assert get_activation("relu") is keras.activations.relu
    assert get_activation(np.tanh) is np.tanh
    assert serialize_activation("relu") == "relu"
    assert get_activation(serialize_activation(keras.activations.relu)) is keras.activations.relu
    # Registered, so a config naming it by its registered name deserializes.
    assert keras.saving.get_registered_object("albert_keras>gelu_approximate") is gelu_approximate
