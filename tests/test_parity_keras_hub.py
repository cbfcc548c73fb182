"""Numeric parity with KerasHub's independent ALBERT implementation."""

import numpy as np
import pytest

from albert_keras.convert.keras_hub_map import keras_hub_slots
from albert_keras.models.backbone import AlbertBackbone
from tests.model_helpers import random_inputs, randomize_weights

keras_hub = pytest.importorskip("keras_hub")


def copy_keras_hub_weights(reference, ours):
    """Copies a KerasHub `AlbertBackbone`'s weights into ours through the product's KerasHub map."""
    ref = {w.path: w.numpy() for w in reference.weights}
    slots = keras_hub_slots(ours)
    assert sorted(s.path for s in slots) == sorted(ref), "the map and KerasHub's variables differ"
    for slot in slots:
        value = ref[slot.path]
        assert value.shape == slot.keras_hub_shape, (slot.path, value.shape, slot.keras_hub_shape)
        slot.variable.assign(slot.to_ours(value))
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
