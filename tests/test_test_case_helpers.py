"""The shared checks of `tests/test_case.py` catch what they promise to catch.

Each probe layer breaks one rule; the matching check must fail on it, and
the well-behaved probe must pass every check.
"""

import keras
import numpy as np
import pytest

from albert_keras.layers.dtypes import float32_if_mixed
from tests.test_case import run_layer_test, run_serialization_test

X = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")


@keras.saving.register_keras_serializable(package="albert_keras")
class ProbeDenseNorm(keras.layers.Layer):
    """Dense then LayerNorm; the flags break one rule each."""

    def __init__(self, units, drop_units_from_config=False, norm_in_compute_dtype=False, unused_weight=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.drop_units_from_config = drop_units_from_config
        self.norm_in_compute_dtype = norm_in_compute_dtype
        self.unused_weight = unused_weight
        self.dense = keras.layers.Dense(units, dtype=self.dtype_policy, name="dense")
        norm_dtype = self.dtype_policy if norm_in_compute_dtype else float32_if_mixed(self.dtype_policy)
        self.norm = keras.layers.LayerNormalization(dtype=norm_dtype, name="norm")

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.norm.build(tuple(input_shape[:-1]) + (self.units,))
        if self.unused_weight:
            self.extra = self.add_weight(name="extra", shape=(self.units,), initializer="ones")
        self.built = True

    def call(self, inputs):
        return keras.ops.cast(self.norm(self.dense(inputs)), self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"drop_units_from_config": self.drop_units_from_config,
                       "norm_in_compute_dtype": self.norm_in_compute_dtype, "unused_weight": self.unused_weight})
        if not self.drop_units_from_config:
            config["units"] = self.units
        return config


def _run(**flags):
    return run_layer_test(ProbeDenseNorm, {"units": 5, **flags}, X, expected_output_shape=(2, 3, 5),
                          expected_num_trainable_weights=5 if flags.get("unused_weight") else 4)


def test_a_well_behaved_layer_passes():
    _run()


def test_a_config_missing_an_arg_fails():
    with pytest.raises(TypeError, match="units"):
        run_serialization_test(ProbeDenseNorm(5, drop_units_from_config=True))


def test_a_layer_norm_in_the_compute_dtype_fails():
    with pytest.raises(AssertionError, match="norm must compute in float32"):
        _run(norm_in_compute_dtype=True)


def test_a_weight_without_gradient_fails():
    with pytest.raises(AssertionError, match="no gradient reaches"):
        _run(unused_weight=True)


def test_wrong_shape_count_or_dtype_promise_fails():
    with pytest.raises(AssertionError, match="eager output shape|symbolic output shape"):
        run_layer_test(ProbeDenseNorm, {"units": 5}, X, expected_output_shape=(2, 3, 4),
                       expected_num_trainable_weights=4)
    with pytest.raises(AssertionError):
        run_layer_test(ProbeDenseNorm, {"units": 5}, X, expected_output_shape=(2, 3, 5),
                       expected_num_trainable_weights=3)
    with pytest.raises(AssertionError):  # promises float32 outputs, gives bfloat16
        run_layer_test(ProbeDenseNorm, {"units": 5}, X, expected_output_shape=(2, 3, 5),
                       expected_num_trainable_weights=4, float32_output=True)
