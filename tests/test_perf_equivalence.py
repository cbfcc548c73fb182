"""The fast paths compute what the straightforward ones compute.

- The fused-QKV `SelfAttention` against a plain per-projection einsum
  implementation written here (fp32, ≤ 1e-5).
- XLA (`jit_compile=True`) against the non-XLA graph and eager, for the
  backbone's forward pass and for one `AlbertPretrainer` train step (≤ 1e-5).
- mixed_bfloat16 against float32 with the same weights, within the tolerance
  documented in docs/performance.md.

(bench/flops.py prints the benchmark's FLOP count next to the parameter rule.)
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from albert_keras.layers.self_attention import SelfAttention
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.pretrainer import AlbertPretrainer
from tests.model_helpers import random_inputs, randomize_weights

CONFIG = dict(
    vocabulary_size=50,
    num_layers=3,
    num_heads=4,
    embedding_dim=16,
    hidden_dim=32,
    intermediate_dim=64,
    max_sequence_length=24,
)
BF16_TOLERANCE = 0.05  # max |diff| of LayerNorm'd outputs (values ~N(0, 1)), see docs/performance.md


def reference_attention(layer, x, bias):
    """Multi-head attention written out: separate q/k/v, one einsum per step."""
    w = {n: np.asarray(getattr(layer, f"{n}_kernel")) for n in ("query", "key", "value", "output")}
    b = {n: np.asarray(getattr(layer, f"{n}_bias")) for n in ("query", "key", "value", "output")}
    batch, seq_len, _ = x.shape
    n, d = layer.num_heads, layer.head_dim

    def heads(name):
        return (np.einsum("bth,hk->btk", x, w[name]) + b[name]).reshape(batch, seq_len, n, d)

    q, k, v = heads("query"), heads("key"), heads("value")
    scores = np.einsum("btnd,bsnd->bnts", q, k) / math.sqrt(d) + bias
    scores = scores - scores.max(-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(-1, keepdims=True)
    context = np.einsum("bnts,bsnd->btnd", probs, v).reshape(batch, seq_len, n * d)
    return np.einsum("bth,hk->btk", context, w["output"]) + b["output"]


def test_fused_attention_matches_reference_einsum():
    layer = SelfAttention(32, 4)
    layer.build((None, None, 32))
    randomize_weights(layer, seed=3, scale=0.3)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 11, 32)).astype("float32")
    mask = np.ones((3, 11), "float32")
    mask[1, 7:] = 0
    mask[2, 2:] = 0
    bias = ((1.0 - mask) * -10000.0)[:, None, None, :]
    expected = reference_attention(layer, x.astype("float64"), bias.astype("float64"))
    eager = np.asarray(layer(x, bias))
    xla = np.asarray(tf.function(lambda a, c: layer(a, c), jit_compile=True)(x, bias))
    for got in (eager, xla):
        assert np.abs(got - expected)[mask.astype(bool)].max() <= 1e-5


def _backbone(dtype="float32"):
    model = AlbertBackbone(dtype=dtype, **CONFIG)
    return model


def test_xla_forward_matches_graph_and_eager():
    model = _backbone()
    randomize_weights(model, seed=1, scale=0.2)
    x = random_inputs(batch=4, seq_len=16, vocab=50, num_real=[16, 12, 5, 1], seed=2)
    real = x["padding_mask"].astype(bool)
    eager = model(x)
    graph = tf.function(lambda inputs: model(inputs))(x)
    xla = tf.function(lambda inputs: model(inputs), jit_compile=True)(x)
    model.compile(jit_compile=True)
    predicted = model.predict_on_batch(x)
    for other in (graph, xla, predicted):
        seq = np.abs(np.asarray(other["sequence_output"]) - np.asarray(eager["sequence_output"]))[real].max()
        pooled = np.abs(np.asarray(other["pooled_output"]) - np.asarray(eager["pooled_output"])).max()
        assert seq <= 1e-5 and pooled <= 1e-5, (seq, pooled)


def _pretrainer_batch(batch=4, seq_len=16, predictions=3):
    x = random_inputs(batch=batch, seq_len=seq_len, vocab=50, num_real=[16, 12, 9, 6], seed=4)
    rng = np.random.default_rng(5)
    x["mask_positions"] = np.stack([np.sort(rng.choice(np.arange(1, 6), predictions, replace=False))
                                    for _ in range(batch)]).astype("int32")
    y = {
        "mlm_ids": rng.integers(5, 50, (batch, predictions)).astype("int32"),
        "mlm_weights": np.ones((batch, predictions), "float32"),
        "sop_label": rng.integers(0, 2, (batch,)).astype("int32"),
    }
    return x, y


@pytest.mark.slow
def test_xla_train_step_matches_non_xla():
    keras.utils.set_random_seed(0)
    x, y = _pretrainer_batch()
    models = []
    for jit in (False, True):
        backbone = _backbone()
        model = AlbertPretrainer(backbone)
        model.compile(optimizer=keras.optimizers.SGD(0.5), jit_compile=jit)
        models.append(model)
    randomize_weights(models[0], seed=6, scale=0.2)
    models[1].set_weights(models[0].get_weights())
    losses = [float(m.train_on_batch(x, y, return_dict=True)["loss"]) for m in models]
    assert abs(losses[0] - losses[1]) <= 1e-5 * max(1.0, abs(losses[0]))
    for a, b in zip(models[0].weights, models[1].weights, strict=True):
        assert np.abs(np.asarray(a) - np.asarray(b)).max() <= 1e-5, a.path


def test_mixed_bfloat16_within_documented_tolerance():
    ref = _backbone("float32")
    randomize_weights(ref, seed=1, scale=0.2)
    mixed = _backbone("mixed_bfloat16")
    mixed.set_weights(ref.get_weights())
    x = random_inputs(batch=4, seq_len=16, vocab=50, num_real=[16, 12, 5, 1], seed=2)
    real = x["padding_mask"].astype(bool)
    expected = np.asarray(ref(x)["sequence_output"])
    got = np.asarray(tf.function(lambda inputs: mixed(inputs), jit_compile=True)(x)["sequence_output"], "float32")
    diff = np.abs(got - expected)[real]
    print(f"mixed_bfloat16 vs float32: max {diff.max():.3g}, mean {diff.mean():.3g}")
    assert diff.max() <= BF16_TOLERANCE
