"""The post-LN residual shared by the attention and FFN blocks, and the shared task-head layers."""

import keras
import numpy as np
import pytest

from albert_keras.layers.attention_block import AttentionBlock
from albert_keras.layers.feed_forward_block import FeedForwardBlock
from albert_keras.layers.post_ln_residual import PostLNResidual
from albert_keras.tasks.heads import head_dense, head_dropout
from tests.model_helpers import tiny_backbone

EPS = 1e-3  # far from the default 1e-12, so a block that ignored its config would fail


def _layer_norm(v, gamma, beta, eps):
    mean = v.mean(-1, keepdims=True)
    var = v.var(-1, keepdims=True)
    return (v - mean) / np.sqrt(var + eps) * gamma + beta


def _randomize_norm(block, rng):
    block.layer_norm.gamma.assign(rng.normal(1.0, 0.3, block.layer_norm.gamma.shape).astype("float32"))
    block.layer_norm.beta.assign(rng.normal(0.0, 0.3, block.layer_norm.beta.shape).astype("float32"))


@pytest.mark.parametrize("kind", ["attention", "ffn"])
def test_block_output_is_layer_norm_of_input_plus_sublayer(kind):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(2, 5, 8)).astype("float32")
    bias = np.zeros((2, 1, 1, 5), "float32")
    if kind == "attention":
        block = AttentionBlock(8, 2, layer_norm_epsilon=EPS)
        block.build(inputs.shape)
        _randomize_norm(block, rng)
        sublayer = np.asarray(block.attention(inputs, bias))
        out = block(inputs, bias)
    else:
        block = FeedForwardBlock(8, 16, layer_norm_epsilon=EPS)
        block.build(inputs.shape)
        _randomize_norm(block, rng)
        sublayer = np.asarray(block.output_dense(block.intermediate_dense(inputs)))
        out = block(inputs)
    expected = _layer_norm(inputs + sublayer, block.layer_norm.gamma.numpy(), block.layer_norm.beta.numpy(), EPS)
    assert isinstance(block, PostLNResidual)
    np.testing.assert_allclose(np.asarray(out), expected, atol=1e-5)


def test_residual_dropout_is_active_only_in_training():
    block = FeedForwardBlock(8, 16, dropout=0.5)
    inputs = np.random.default_rng(1).normal(size=(4, 6, 8)).astype("float32")
    inference = np.asarray(block(inputs, training=False))
    np.testing.assert_allclose(np.asarray(block(inputs, training=False)), inference)
    assert not np.allclose(np.asarray(block(inputs, training=True)), inference)


def test_block_weight_paths_are_those_the_converters_and_checkpoints_use():
    attention = AttentionBlock(8, 2, name="att")
    attention.build((None, None, 8))
    ffn = FeedForwardBlock(8, 16, name="ffn")
    ffn.build((None, None, 8))
    assert [v.path for v in attention.weights] == [
        "att/self_attention/query_kernel", "att/self_attention/query_bias",
        "att/self_attention/key_kernel", "att/self_attention/key_bias",
        "att/self_attention/value_kernel", "att/self_attention/value_bias",
        "att/self_attention/output_kernel", "att/self_attention/output_bias",
        "att/layer_norm/gamma", "att/layer_norm/beta",
    ]
    assert [v.path for v in ffn.weights] == [
        "ffn/intermediate_dense/kernel", "ffn/intermediate_dense/bias",
        "ffn/output_dense/kernel", "ffn/output_dense/bias",
        "ffn/layer_norm/gamma", "ffn/layer_norm/beta",
    ]


def test_block_config_round_trips_with_the_residual_args():
    block = FeedForwardBlock(8, 16, activation="relu", dropout=0.2, layer_norm_epsilon=EPS, name="f")
    config = block.get_config()
    assert (config["dropout"], config["layer_norm_epsilon"]) == (0.2, EPS)
    assert FeedForwardBlock.from_config(config).get_config() == config


def test_head_layers_follow_the_backbone():
    backbone = tiny_backbone(initializer_range=0.5, dtype="mixed_bfloat16")
    dense = head_dense(backbone, 3, "logits")
    dropout = head_dropout(backbone, 0.3)
    assert (dense.units, dense.name, dense.compute_dtype) == (3, "logits", "float32")
    assert dense.kernel_initializer.stddev == 0.5
    assert (dropout.rate, dropout.name) == (0.3, "output_dropout")
    assert dropout.dtype_policy.name == backbone.dtype_policy.name
    plain = head_dense(tiny_backbone(), 2, "sop_head")
    assert plain.dtype_policy.name == keras.config.dtype_policy().name
