"""Learning-rate schedule, weight-decay exclusions, accumulation and loss scaling."""

import keras
import numpy as np
import pytest

from albert_keras.config import OptimizerConfig
from albert_keras.training.optimizer import NO_DECAY_NAMES, build_optimizer, update_steps
from albert_keras.training.schedule import WarmupPolynomialDecay, expected_learning_rate


def test_schedule_matches_the_formula_at_chosen_steps():
    peak, warmup, total = 0.00176, 3125, 125000
    schedule = WarmupPolynomialDecay(peak, total, warmup)
    for step in (0, 1, 1000, 3124, 3125, 3126, 60000, 124999, 125000, 130000):
        want = expected_learning_rate(step, peak, total, warmup)
        assert float(schedule(step)) == pytest.approx(want, rel=1e-5, abs=peak * 1e-6), step
    # Hand-computed values of the formula itself.
    assert float(schedule(1000)) == pytest.approx(peak * 1000 / 3125, rel=1e-5)
    assert float(schedule(62500)) == pytest.approx(peak * 0.5, rel=1e-5)
    assert float(schedule(125000)) == 0.0


def test_schedule_power_end_rate_and_accumulation_divisor():
    schedule = WarmupPolynomialDecay(1.0, 100, warmup_steps=10, end_learning_rate=0.1, power=2.0, step_divisor=4)
    # iteration 200 = update 50: (1 - 0.1) * (1 - 0.5)^2 + 0.1
    assert float(schedule(200)) == pytest.approx(0.9 * 0.25 + 0.1, rel=1e-5)
    assert float(schedule(20)) == pytest.approx(0.5, rel=1e-5)  # update 5 of 10 warmup


def test_schedule_serializes():
    schedule = WarmupPolynomialDecay(0.002, 500, 50, power=1.5)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(restored, WarmupPolynomialDecay)
    assert restored.get_config() == schedule.get_config()
    optimizer = build_optimizer(OptimizerConfig(learning_rate=0.002, warmup_steps=50), 500)
    config = optimizer.get_config()
    rebuilt = keras.optimizers.Lamb.from_config(config)
    assert float(rebuilt.learning_rate) == pytest.approx(float(optimizer.learning_rate))


def _tiny_model():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(4, name="dense")(inputs)
    outputs = keras.layers.LayerNormalization(name="layer_norm")(hidden)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("name", ["lamb", "adamw"])
def test_weight_decay_skips_layer_norm_and_biases(name):
    model = _tiny_model()
    for v in model.weights:  # make every variable non-zero so decay would show
        v.assign(np.full(v.shape, 0.5, "float32"))
    config = OptimizerConfig(name=name, learning_rate=0.1, weight_decay=0.01, warmup_steps=0)
    optimizer = build_optimizer(config, total_steps=1000)
    before = {v.path: v.numpy().copy() for v in model.trainable_variables}
    optimizer.apply_gradients([(np.zeros(v.shape, "float32"), v) for v in model.trainable_variables])
    assert update_steps(optimizer) == 1
    for v in model.trainable_variables:
        excluded = any(s in v.name for s in NO_DECAY_NAMES)
        if excluded:
            np.testing.assert_array_equal(v.numpy(), before[v.path], err_msg=v.path)
        else:
            assert np.all(np.abs(v.numpy()) < np.abs(before[v.path])), v.path
    kinds = {v.path.split("/")[-1] for v in model.trainable_variables}
    assert kinds == {"kernel", "bias", "gamma", "beta"}


def test_optimizer_settings():
    optimizer = build_optimizer(OptimizerConfig(), total_steps=10)
    assert isinstance(optimizer, keras.optimizers.Lamb)
    assert optimizer.beta_1 == 0.9 and optimizer.beta_2 == 0.999 and optimizer.epsilon == 1e-6
    assert optimizer.global_clipnorm == 1.0
    fp16 = build_optimizer(OptimizerConfig(), total_steps=10, precision="mixed_float16")
    assert isinstance(fp16, keras.optimizers.LossScaleOptimizer)


def test_gradient_accumulation_equals_one_big_batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 4)).astype("float32")

    def train(accumulation, batch):
        keras.utils.set_random_seed(1)
        model = _tiny_model()
        config = OptimizerConfig(name="adamw", learning_rate=0.01, weight_decay=0.01, global_clipnorm=None)
        model.compile(optimizer=build_optimizer(config, 10, gradient_accumulation_steps=accumulation), loss="mse")
        for _ in range(3):
            model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        return model, update_steps(model.optimizer)

    big, big_steps = train(1, 8)
    small, small_steps = train(2, 4)
    assert big_steps == small_steps == 3
    for a, b in zip(big.weights, small.weights, strict=False):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
