"""Cross-layer sharing, checked through variable identity and through gradients.

The expected sharing is derived here from the original ALBERT's rule (layer
`l` belongs to group `int(l / L * G)`; inner repetition `i` of a group is one
block), not from `block_keys`, and the blocks each layer actually runs are
read off the backbone's functional graph (`blocks_in_call_order`), so a
backbone that built shared blocks but called others would fail.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from albert_keras.models.sharing import group_index
from tests.model_helpers import TINY, random_inputs, randomize_weights, tiny_backbone

L, G, R = TINY["num_layers"], TINY["num_groups"], TINY["num_inner_repetitions"]
EMBEDDING_AND_POOLER_WEIGHTS = 7 + 2  # 3 tables, LayerNorm (2), projection (2); pooler (2)
ATTENTION_WEIGHTS = 8 + 2  # q/k/v/output kernels and biases; LayerNorm
FFN_WEIGHTS = 4 + 2  # two dense layers; LayerNorm
MODES = ("all", "attention", "ffn", "none")


def _shares(sharing, part):
    return sharing == "all" or sharing == part


def expected_block(sharing, part, layer, inner, num_layers=L, num_groups=G):
    """An id of the block that layer `layer`, repetition `inner` runs for `part` ("attention"/"ffn")."""
    if _shares(sharing, part):
        return ("group", int(layer / num_layers * num_groups), inner)
    return ("layer", layer, inner)


def blocks_in_call_order(backbone):
    """The (attention, ffn) layer objects each of the L×R steps runs, read off the graph.

    Walks back from `sequence_output` along each call's first input to the
    embeddings projection, keeping the layers that own weights.

    Returns:
        A list of L×R (attention_layer, ffn_layer) pairs, in call order.
    """
    tensor = backbone.output["sequence_output"]
    calls = []
    while True:
        operation, node_index, _ = tensor._keras_history
        if operation is backbone.embeddings_projection:
            break
        if isinstance(operation, keras.layers.Layer) and operation.weights:
            calls.append(operation)
        tensor = operation._inbound_nodes[node_index].arguments.keras_tensors[0]
    calls.reverse()
    assert len(calls) == 2 * backbone.num_layers * backbone.num_inner_repetitions, [c.name for c in calls]
    return list(zip(calls[0::2], calls[1::2], strict=True))


def test_group_index_matches_original_formula():
    assert [group_index(layer, 12, 1) for layer in range(12)] == [0] * 12
    assert [group_index(layer, 4, 2) for layer in range(4)] == [0, 0, 1, 1]
    assert [group_index(layer, 6, 3) for layer in range(6)] == [0, 0, 1, 1, 2, 2]
    assert [group_index(layer, 12, 4) for layer in range(12)] == [int(layer / 12 * 4) for layer in range(12)]


@pytest.mark.parametrize("num_layers, num_groups, num_inner", [(L, G, R), (6, 3, 1), (3, 1, 2)])
@pytest.mark.parametrize("sharing", MODES)
def test_layers_share_variable_objects_exactly_as_the_mode_says(sharing, num_layers, num_groups, num_inner):
    """Two steps run the same block, with the very same `keras.Variable`s, iff the mode shares it."""
    backbone = tiny_backbone(sharing=sharing, num_layers=num_layers, num_groups=num_groups,
                             num_inner_repetitions=num_inner)
    steps = blocks_in_call_order(backbone)
    keys = [(layer, inner) for layer in range(num_layers) for inner in range(num_inner)]
    for part, index in (("attention", 0), ("ffn", 1)):
        for a, (la, ia) in enumerate(keys):
            for b, (lb, ib) in enumerate(keys):
                block_a, block_b = steps[a][index], steps[b][index]
                same = (expected_block(sharing, part, la, ia, num_layers, num_groups)
                        == expected_block(sharing, part, lb, ib, num_layers, num_groups))
                ids_a = [id(v) for v in block_a.trainable_variables]
                ids_b = [id(v) for v in block_b.trainable_variables]
                if same:
                    assert block_a is block_b and ids_a == ids_b, (part, keys[a], keys[b])
                else:
                    assert not set(ids_a) & set(ids_b), (part, keys[a], keys[b])


@pytest.mark.parametrize("sharing", MODES)
def test_unique_variable_counts(sharing):
    num_attention = G * R if _shares(sharing, "attention") else L * R
    num_ffn = G * R if _shares(sharing, "ffn") else L * R
    backbone = tiny_backbone(sharing=sharing)
    steps = blocks_in_call_order(backbone)
    assert len({id(a) for a, _ in steps}) == num_attention
    assert len({id(f) for _, f in steps}) == num_ffn
    assert len({id(v) for a, _ in steps for v in a.trainable_variables}) == num_attention * ATTENTION_WEIGHTS
    assert len({id(v) for _, f in steps for v in f.trainable_variables}) == num_ffn * FFN_WEIGHTS
    expected = EMBEDDING_AND_POOLER_WEIGHTS + num_attention * ATTENTION_WEIGHTS + num_ffn * FFN_WEIGHTS
    assert len(backbone.trainable_weights) == expected
    assert len({id(w) for w in backbone.trainable_weights}) == expected
    assert backbone.count_params() == sum(int(np.prod(w.shape)) for w in backbone.weights)


@pytest.mark.parametrize("sharing", ["all", "attention", "ffn"])
def test_shared_gradient_is_the_sum_over_its_uses(sharing):
    """A shared weight's gradient equals the sum of the per-layer gradients of an unshared copy.

    The copy (`sharing="none"`) gives each step its own block, initialized to
    the values of the block the shared model runs at that step, so both
    models compute the same function.
    """
    shared = tiny_backbone(sharing=sharing)
    randomize_weights(shared, seed=7)
    unshared = tiny_backbone(sharing="none")
    shared_steps, unshared_steps = blocks_in_call_order(shared), blocks_in_call_order(unshared)
    for name in ("token_embedding", "position_embedding", "segment_embedding", "embeddings_layer_norm",
                 "embeddings_projection", "pooler"):
        getattr(unshared, name).set_weights(getattr(shared, name).get_weights())
    for shared_pair, unshared_pair in zip(shared_steps, unshared_steps, strict=True):
        for shared_block, own_block in zip(shared_pair, unshared_pair, strict=True):
            own_block.set_weights(shared_block.get_weights())

    x = random_inputs(num_real=[10, 7, 3])
    np.testing.assert_allclose(shared(x)["sequence_output"], unshared(x)["sequence_output"], atol=1e-5)

    def gradients(model):
        """id(variable) -> gradient of one scalar loss, for every trainable variable."""
        with tf.GradientTape() as tape:
            out = model(x)
            loss = tf.reduce_sum(out["sequence_output"] ** 2) + tf.reduce_sum(out["pooled_output"])
        grads = tape.gradient(loss, model.trainable_variables)
        return {id(v): np.asarray(g) for v, g in zip(model.trainable_variables, grads, strict=True)}

    shared_grads, unshared_grads = gradients(shared), gradients(unshared)
    reused = 0
    for index in (0, 1):  # attention, ffn
        for block in {id(pair[index]): pair[index] for pair in shared_steps}.values():
            uses = [s for s, pair in enumerate(shared_steps) if pair[index] is block]
            first_use = []
            for k, variable in enumerate(block.trainable_variables):
                per_use = [unshared_grads[id(unshared_steps[s][index].trainable_variables[k])] for s in uses]
                np.testing.assert_allclose(shared_grads[id(variable)], sum(per_use), rtol=1e-4, atol=1e-5,
                                           err_msg=variable.path)
                first_use.append(per_use[0])
            if len(uses) > 1:  # the sum is not just one use's gradient
                reused += 1
                flat = np.concatenate([shared_grads[id(v)].ravel() for v in block.trainable_variables])
                assert not np.allclose(flat, np.concatenate([g.ravel() for g in first_use]), atol=1e-5), block.name
    assert reused == G * R * (2 if sharing == "all" else 1)


def test_shared_model_output_depends_on_depth():
    deep = tiny_backbone(num_groups=1, num_inner_repetitions=1, num_layers=4)
    shallow = tiny_backbone(num_groups=1, num_inner_repetitions=1, num_layers=2)
    shallow.set_weights(deep.get_weights())  # same variables: sharing makes the counts equal
    assert deep.count_params() == shallow.count_params()
    x = random_inputs()
    assert not np.allclose(deep(x)["sequence_output"], shallow(x)["sequence_output"])
