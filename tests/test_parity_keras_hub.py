"""Numeric parity with KerasHub's independent ALBERT implementation."""

import numpy as np
import pytest

from albert_keras.models.backbone import AlbertBackbone
from tests.model_helpers import random_inputs, randomize_weights

keras_hub = pytest.importorskip("keras_hub")


def copy_keras_hub_weights(reference, ours):
    """Copies a KerasHub `AlbertBackbone`'s weights into ours, asserting shapes."""
    h = ours.hidden_dim

    def put(variable, value):
        value = np.asarray(value)
        assert variable.shape == value.shape, (variable.path, variable.shape, value.shape)
        variable.assign(value)

    ref = {w.path: w.numpy() for w in reference.weights}
    used = set()

    def get(path):
        used.add(path)
        return ref[path]

    put(ours.token_embedding.embeddings, get("token_embedding/embeddings"))
    put(ours.position_embedding.embeddings, get("position_embedding/embeddings"))
    put(ours.segment_embedding.embeddings, get("segment_embedding/embeddings"))
    put(ours.embeddings_layer_norm.gamma, get("embeddings_layer_norm/gamma"))
    put(ours.embeddings_layer_norm.beta, get("embeddings_layer_norm/beta"))
    put(ours.embeddings_projection.kernel, get("embedding_projection/kernel"))
    put(ours.embeddings_projection.bias, get("embedding_projection/bias"))
    for key, block in ours.attention_blocks.items():
        prefix = f"{key}/self_attention_layer"
        for name in ("query", "key", "value"):
            put(getattr(block.attention, f"{name}_kernel"), get(f"{prefix}/{name}/kernel").reshape(h, h))
            put(getattr(block.attention, f"{name}_bias"), get(f"{prefix}/{name}/bias").reshape(h))
        put(block.attention.output_kernel, get(f"{prefix}/attention_output/kernel").reshape(h, h))
        put(block.attention.output_bias, get(f"{prefix}/attention_output/bias"))
        put(block.layer_norm.gamma, get(f"{key}/self_attention_layer_norm/gamma"))
        put(block.layer_norm.beta, get(f"{key}/self_attention_layer_norm/beta"))
    for key, block in ours.ffn_blocks.items():
        put(block.intermediate_dense.kernel, get(f"{key}/feedforward_intermediate_dense/kernel"))
        put(block.intermediate_dense.bias, get(f"{key}/feedforward_intermediate_dense/bias"))
        put(block.output_dense.kernel, get(f"{key}/feedforward_output_dense/kernel"))
        put(block.output_dense.bias, get(f"{key}/feedforward_output_dense/bias"))
        put(block.layer_norm.gamma, get(f"{key}/feedforward_layer_norm/gamma"))
        put(block.layer_norm.beta, get(f"{key}/feedforward_layer_norm/beta"))
    put(ours.pooler.kernel, get("pooled_dense/kernel"))
    put(ours.pooler.bias, get("pooled_dense/bias"))
    assert used == set(ref), f"unmapped reference weights: {sorted(set(ref) - used)}"
    assert len(ours.weights) == len(ref)


@pytest.mark.parametrize(
    "config",
    [
        dict(num_layers=4, num_heads=2, num_groups=2, num_inner_repetitions=2, embedding_dim=6, hidden_dim=8,
             intermediate_dim=16),
        dict(num_layers=3, num_heads=3, num_groups=1, num_inner_repetitions=1, embedding_dim=12, hidden_dim=12,
             intermediate_dim=20),
    ],
)
def test_matches_keras_hub(config):
    common = dict(vocabulary_size=40, max_sequence_length=16, **config)
    reference = keras_hub.models.AlbertBackbone(dropout=0.0, **common)
    randomize_weights(reference, seed=7, scale=0.3)
    ours = AlbertBackbone(**common)
    copy_keras_hub_weights(reference, ours)
    x = random_inputs(batch=3, seq_len=12, vocab=40, num_real=[12, 8, 3], seed=5)
    expected = reference(x)
    got = ours(x)
    real = x["padding_mask"].astype(bool)
    seq_diff = np.abs(np.asarray(expected["sequence_output"]) - np.asarray(got["sequence_output"]))[real].max()
    pooled_diff = np.abs(np.asarray(expected["pooled_output"]) - np.asarray(got["pooled_output"])).max()
    print(f"parity vs KerasHub {config}: sequence {seq_diff:.2e}, pooled {pooled_diff:.2e}")
    assert seq_diff <= 1e-5
    assert pooled_diff <= 1e-5
    # The weights are not trivially equal: the outputs are far from zero.
    assert np.abs(np.asarray(got["sequence_output"])).mean() > 0.1
