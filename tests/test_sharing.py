"""Cross-layer sharing, checked through weight identity and exact counts."""

import numpy as np
import pytest

from albert_keras.models.sharing import block_keys, group_index
from tests.model_helpers import TINY, random_inputs, tiny_backbone

L, G, R = TINY["num_layers"], TINY["num_groups"], TINY["num_inner_repetitions"]
EMBEDDING_AND_POOLER_WEIGHTS = 7 + 2  # 3 tables, LayerNorm (2), projection (2); pooler (2)
ATTENTION_WEIGHTS = 8 + 2  # q/k/v/output kernels and biases; LayerNorm
FFN_WEIGHTS = 4 + 2  # two dense layers; LayerNorm

EXPECTED = {
    "all": (G * R, G * R),
    "attention": (G * R, L * R),
    "ffn": (L * R, G * R),
    "none": (L * R, L * R),
}


def test_group_index_matches_original_formula():
    assert [group_index(layer, 12, 1) for layer in range(12)] == [0] * 12
    assert [group_index(layer, 4, 2) for layer in range(4)] == [0, 0, 1, 1]
    assert [group_index(layer, 6, 3) for layer in range(6)] == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("sharing", sorted(EXPECTED))
def test_trainable_weight_count(sharing):
    backbone = tiny_backbone(sharing=sharing)
    num_attention, num_ffn = EXPECTED[sharing]
    assert len(backbone.attention_blocks) == num_attention
    assert len(backbone.ffn_blocks) == num_ffn
    expected = EMBEDDING_AND_POOLER_WEIGHTS + num_attention * ATTENTION_WEIGHTS + num_ffn * FFN_WEIGHTS
    assert len(backbone.trainable_weights) == expected
    assert len({id(w) for w in backbone.trainable_weights}) == expected


@pytest.mark.parametrize("sharing", sorted(EXPECTED))
def test_each_block_is_called_by_the_layers_that_share_it(sharing):
    backbone = tiny_backbone(sharing=sharing)
    num_attention, num_ffn = EXPECTED[sharing]
    for block in backbone.attention_blocks.values():
        assert len(block._inbound_nodes) == L * R // num_attention
    for block in backbone.ffn_blocks.values():
        assert len(block._inbound_nodes) == L * R // num_ffn


def test_all_sharing_layers_in_a_group_use_the_same_variables():
    plan = block_keys("all", L, G, R)
    assert plan[0] == plan[1] and plan[2] == plan[3] and plan[0] != plan[2]
    backbone = tiny_backbone(sharing="all")
    first = backbone.attention_blocks[plan[0][0][0]]
    assert first is backbone.attention_blocks[plan[1][0][0]]
    assert first.attention.query_kernel is backbone.attention_blocks[plan[1][0][0]].attention.query_kernel


def test_shared_weight_gets_gradient_from_every_layer_using_it():
    import tensorflow as tf

    backbone = tiny_backbone(sharing="all", num_groups=1, num_inner_repetitions=1)
    x = random_inputs()
    block = backbone.ffn_blocks["group_0_inner_layer_0"]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(backbone(x)["sequence_output"] ** 2)
    grad_shared = tape.gradient(loss, block.output_dense.kernel)
    # One layer only: the same block, run once.
    single = tiny_backbone(sharing="all", num_groups=1, num_inner_repetitions=1, num_layers=1)
    single.set_weights(backbone.get_weights())
    with tf.GradientTape() as tape:
        loss_single = tf.reduce_sum(single(x)["sequence_output"] ** 2)
    grad_single = tape.gradient(loss_single, single.ffn_blocks["group_0_inner_layer_0"].output_dense.kernel)
    assert not np.allclose(grad_shared, grad_single)


def test_shared_model_output_depends_on_depth():
    deep = tiny_backbone(num_groups=1, num_inner_repetitions=1, num_layers=4)
    shallow = tiny_backbone(num_groups=1, num_inner_repetitions=1, num_layers=2)
    shallow.set_weights(deep.get_weights())  # same variables: sharing makes the counts equal
    assert deep.count_params() == shallow.count_params()
    x = random_inputs()
    assert not np.allclose(deep(x)["sequence_output"], shallow(x)["sequence_output"])
