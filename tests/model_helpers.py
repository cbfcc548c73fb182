"""Small configs and inputs shared by the model tests."""

import numpy as np

from albert_keras.models.backbone import AlbertBackbone

TINY = dict(
    vocabulary_size=30,
    num_layers=4,
    num_heads=2,
    embedding_dim=6,
    hidden_dim=8,
    intermediate_dim=16,
    num_groups=2,
    num_inner_repetitions=2,
    max_sequence_length=24,
)


def tiny_backbone(**overrides):
    """A tiny backbone: E≠H, 2 groups × 2 inner repetitions."""
    config = dict(TINY)
    config.update(overrides)
    return AlbertBackbone(**config)


def random_inputs(batch=3, seq_len=10, vocab=30, num_real=None, seed=0):
    """Backbone inputs; rows have `num_real[i]` real tokens then padding."""
    rng = np.random.default_rng(seed)
    if num_real is None:
        num_real = [seq_len] * batch
    token_ids = rng.integers(5, vocab, (batch, seq_len)).astype("int32")
    padding_mask = np.zeros((batch, seq_len), "int32")
    segment_ids = np.zeros((batch, seq_len), "int32")
    for i, n in enumerate(num_real):
        padding_mask[i, :n] = 1
        token_ids[i, n:] = 0
        segment_ids[i, n // 2 : n] = 1
    return {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask}


def randomize_weights(model, seed=0, scale=0.2):
    """Sets every weight to random normal values (biases and LayerNorm too)."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.assign(rng.normal(0.0, scale, w.shape).astype(w.dtype) + (1.0 if w.path.endswith("gamma") else 0.0))
