"""Shared checks for the layer, backbone and task tests, after KerasHub's `TestCase`.

A test file calls these on a tiny config, so each behaviour (shapes, config
round trips, saving, mixed precision, one training step) is written once:

    run_layer_test(FeedForwardBlock, {"hidden_dim": 8, ...}, x, expected_output_shape=(2, 5, 8),
                   expected_num_trainable_weights=6)

The helpers use only public behaviour: `get_config`/`from_config`, the Keras
registry (`serialize_keras_object`/`deserialize_keras_object`), `.keras`
files, `albert_keras.save_model_dir`/`load_model_dir` and `Model.export`.
The file is named `test_*.py` so pytest rewrites its asserts (readable
failures); it holds no tests itself.
"""

import json
import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from albert_keras import load_model_dir, save_model_dir

MIXED_POLICIES = ("mixed_bfloat16", "mixed_float16")


def to_numpy(structure: Any) -> Any:
    """Maps every tensor in a nested structure to a numpy array."""
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), structure)


def assert_all_close(expected: Any, actual: Any, atol: float = 1e-6, rtol: float = 1e-6) -> None:
    """Asserts two nested structures of tensors have equal structure and close values."""
    expected, actual = to_numpy(expected), to_numpy(actual)
    keras.tree.assert_same_structure(expected, actual)
    for a, b in zip(keras.tree.flatten(expected), keras.tree.flatten(actual), strict=True):
        np.testing.assert_allclose(a.astype("float64"), b.astype("float64"), atol=atol, rtol=rtol)


def shapes_of(structure: Any) -> Any:
    """The nested structure of tuple shapes of `structure`'s tensors."""
    return keras.tree.map_structure(lambda t: tuple(t.shape), structure)


def dtypes_of(structure: Any) -> list[str]:
    """The standardized dtypes of the flattened tensors of `structure`."""
    return [keras.backend.standardize_dtype(t.dtype) for t in keras.tree.flatten(structure)]


def _json(config: dict) -> str:
    return json.dumps(config, sort_keys=True, indent=1)


def run_serialization_test(instance: keras.layers.Layer, non_config_kwargs: dict | None = None) -> None:
    """Checks that `instance`'s config round-trips, directly and through the Keras registry.

    `get_config → from_config → get_config` gives the same JSON, and so does
    `serialize_keras_object → JSON → deserialize_keras_object`, which finds the
    class by its registered name (`albert_keras>ClassName`).

    Args:
        instance: a layer or model.
        non_config_kwargs: constructor args deliberately kept out of the
            config (e.g. the tied `token_embedding` of `MaskedLMHead`); they
            are passed again when rebuilding, and the registry round trip,
            which cannot supply them, checks only the registered name.
    """
    cls = type(instance)
    config = instance.get_config()
    config_json = _json(config)  # fails if the config holds a live object
    rebuilt = cls.from_config(dict(config, **(non_config_kwargs or {})))
    assert type(rebuilt) is cls
    assert _json(rebuilt.get_config()) == config_json

    serialized = keras.saving.serialize_keras_object(instance)
    assert serialized["registered_name"] == f"albert_keras>{cls.__name__}", serialized["registered_name"]
    if non_config_kwargs:
        return
    revived = keras.saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert type(revived) is cls
    assert _json(revived.get_config()) == config_json


def _call(layer: keras.layers.Layer, inputs: tuple, call_kwargs: dict) -> Any:
    return layer(*inputs, **call_kwargs)


def run_layer_test(
    cls: type,
    init_kwargs: dict,
    input_data: Any,
    expected_output_shape: Any,
    expected_num_trainable_weights: int,
    call_kwargs: dict | None = None,
    non_config_kwargs: dict | None = None,
    float32_output: bool = False,
    float32_sublayers: tuple = (),
    run_training_check: bool = True,
    run_mixed_precision_check: bool = True,
    mixed_precision_atol: float = 0.1,
) -> keras.layers.Layer:
    """Runs the common checks on one layer class.

    1. `run_serialization_test` on a fresh instance.
    2. A symbolic call (on `keras.KerasTensor`s) and an eager call give
       `expected_output_shape`; the eager output has the layer's compute
       dtype (float32 with `float32_output`).
    3. The layer is built with `expected_num_trainable_weights` trainable
       weights, none of them non-trainable.
    4. A layer rebuilt `from_config` and given the same weights gives the
       same outputs.
    5. Training check: every trainable weight gets a finite, non-zero
       gradient from `sum(output ** 2)`.
    6. Mixed precision (`mixed_bfloat16`, `mixed_float16`): float32
       variables, outputs in the compute dtype (float32 with
       `float32_output`), and values within `mixed_precision_atol` of the
       float32 layer given the same weights.

    Args:
        cls: the layer class.
        init_kwargs: constructor args (without `dtype`).
        input_data: the first call argument (array), or a tuple of
            positional call arguments.
        expected_output_shape: a shape tuple, or a nested structure of them.
        expected_num_trainable_weights: the trainable weight count once built.
        call_kwargs: non-tensor call args, e.g. `{"reverse": True}`.
        non_config_kwargs: constructor args that are not in the config.
        float32_output: the layer promises float32 outputs under mixed
            precision (logits, the tied decoder).
        float32_sublayers: sublayer names that must compute in float32
            besides the LayerNormalizations.
        run_training_check: check the gradients.
        run_mixed_precision_check: run step 6.
        mixed_precision_atol: the tolerance of step 6.

    Returns:
        The eagerly called float32 layer, for extra checks.
    """
    inputs = input_data if isinstance(input_data, tuple) else (input_data,)
    call_kwargs = call_kwargs or {}
    kwargs = dict(init_kwargs, **(non_config_kwargs or {}))

    run_serialization_test(cls(**kwargs), non_config_kwargs)

    symbolic_inputs = tuple(keras.KerasTensor(np.shape(x), dtype=np.asarray(x).dtype.name) for x in inputs)
    symbolic = _call(cls(**kwargs), symbolic_inputs, call_kwargs)
    assert shapes_of(symbolic) == expected_output_shape, "symbolic output shape"

    layer = cls(**kwargs)
    output = _call(layer, inputs, call_kwargs)
    assert layer.built
    assert shapes_of(output) == expected_output_shape, "eager output shape"
    expected_dtype = "float32" if float32_output else layer.compute_dtype
    assert set(dtypes_of(output)) == {expected_dtype}
    assert len(layer.trainable_weights) == expected_num_trainable_weights
    assert len(layer.non_trainable_weights) == 0

    rebuilt = cls.from_config(dict(layer.get_config(), **(non_config_kwargs or {})))
    _call(rebuilt, inputs, call_kwargs)
    rebuilt.set_weights(layer.get_weights())
    assert_all_close(output, _call(rebuilt, inputs, call_kwargs), atol=1e-6)

    if run_training_check:
        with tf.GradientTape() as tape:
            out = _call(layer, inputs, dict(call_kwargs))
            loss = sum(keras.ops.sum(keras.ops.cast(t, "float32") ** 2) for t in keras.tree.flatten(out))
        grads = tape.gradient(loss, layer.trainable_weights)
        for weight, grad in zip(layer.trainable_weights, grads, strict=True):
            assert grad is not None, f"no gradient reaches {weight.path}"
            grad = np.asarray(tf.convert_to_tensor(grad))
            assert np.all(np.isfinite(grad)) and np.any(grad != 0), f"zero or non-finite gradient at {weight.path}"

    if run_mixed_precision_check:
        for policy in MIXED_POLICIES:
            run_mixed_precision_test(
                lambda dtype, policy=policy: cls(**kwargs, dtype=dtype),
                lambda model: _call(model, inputs, call_kwargs),
                policy,
                float32_output=float32_output,
                float32_sublayers=float32_sublayers,
                atol=mixed_precision_atol,
            )
    return layer


def run_mixed_precision_test(
    build: Callable[[str], keras.layers.Layer],
    call: Callable[[keras.layers.Layer], Any],
    policy: str,
    float32_output: bool = False,
    float32_output_keys: tuple = (),
    float32_sublayers: tuple = (),
    atol: float = 0.1,
) -> keras.layers.Layer:
    """Checks one layer or model under a mixed-precision policy.

    Every variable stays float32, every LayerNormalization sublayer (and
    those named in `float32_sublayers`) computes in float32 and every other
    sublayer in the compute dtype, float outputs have the compute dtype
    (float32 where promised),
    and the values are within `atol` of the float32 model given the same
    weights.

    Args:
        build: `build(dtype)` returns a new layer or model with that dtype.
        call: `call(layer)` returns its outputs on the test inputs.
        policy: "mixed_bfloat16" or "mixed_float16".
        float32_output: every output is promised float32.
        float32_output_keys: for dict outputs, the keys promised float32.
        float32_sublayers: names of sublayers that must compute in float32
            besides the LayerNormalizations (logit heads, a shared table).
        atol: tolerance against the float32 reference.

    Returns:
        The mixed-precision layer.
    """
    compute = keras.dtype_policies.get(policy).compute_dtype
    mixed = build(policy)
    output = call(mixed)
    reference = build("float32")
    call(reference)
    reference.set_weights(mixed.get_weights())
    if not isinstance(mixed, keras.Model):  # a functional model passes `dtype` to its layers, not to itself
        assert mixed.compute_dtype == compute
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in mixed.weights)
    for sublayer in mixed._flatten_layers(include_self=False):
        if isinstance(sublayer, keras.layers.InputLayer):
            continue
        if isinstance(sublayer, keras.layers.LayerNormalization) or sublayer.name in float32_sublayers:
            assert sublayer.compute_dtype == "float32", f"{sublayer.path} must compute in float32 under {policy}"
        else:
            assert sublayer.compute_dtype == compute, f"{sublayer.path} must compute in {compute} under {policy}"
    if isinstance(output, dict):
        for key, tensor in output.items():
            want = "float32" if float32_output or key in float32_output_keys else compute
            assert set(dtypes_of(tensor)) == {want}, (policy, key)
    else:
        assert set(dtypes_of(output)) == {"float32" if float32_output else compute}, policy
    assert_all_close(call(reference), keras.tree.map_structure(lambda t: keras.ops.cast(t, "float32"), output),
                     atol=atol, rtol=0)
    return mixed


def run_backbone_test(
    cls: type,
    init_kwargs: dict,
    input_data: dict,
    expected_output_shape: dict,
    variable_length_data: list | None = None,
    run_mixed_precision_check: bool = True,
) -> keras.Model:
    """Runs the common checks on a backbone class.

    The call gives `expected_output_shape`, and one backbone runs inputs of
    every length in `variable_length_data`; `predict` on arrays (batch 2),
    on a `tf.data.Dataset` and the direct call agree; the config round-trips
    (`run_serialization_test`); and the mixed-precision checks pass with the
    outputs in the compute dtype.

    Args:
        cls: the backbone class.
        init_kwargs: constructor args (without `dtype`).
        input_data: a dict of int arrays `[batch, seq_len]`.
        expected_output_shape: a dict of output name → shape tuple.
        variable_length_data: more input dicts, of other sequence lengths;
            each gives `[batch, seq_len, ...]` outputs of its own length.
        run_mixed_precision_check: also check the mixed policies.

    Returns:
        The float32 backbone.
    """
    backbone = cls(**init_kwargs)
    output = backbone(input_data)
    assert shapes_of(output) == expected_output_shape
    for data in variable_length_data or []:
        batch, seq_len = np.shape(data["token_ids"])
        expected = {
            key: (batch, seq_len, *shape[2:]) if len(shape) == 3 else (batch, *shape[1:])
            for key, shape in expected_output_shape.items()
        }
        assert shapes_of(backbone(data)) == expected, f"seq_len={seq_len}"
    from_arrays = backbone.predict(input_data, batch_size=2, verbose=0)
    from_dataset = backbone.predict(tf.data.Dataset.from_tensor_slices(input_data).batch(3), verbose=0)
    assert_all_close(output, from_arrays, atol=1e-5)
    assert_all_close(from_arrays, from_dataset, atol=1e-5)
    run_serialization_test(backbone)
    if run_mixed_precision_check:
        for policy in MIXED_POLICIES:
            run_mixed_precision_test(lambda dtype: cls(**init_kwargs, dtype=dtype), lambda m: m(input_data), policy)
    return backbone


def run_task_test(
    build: Callable[..., keras.Model],
    x: Any,
    y: Any,
    expected_output_shape: Any,
    run_mixed_precision_check: bool = True,
) -> keras.Model:
    """Runs the common checks on a task model (eagerly, for speed).

    `predict` gives `expected_output_shape` and matches the direct call; the
    config round-trips; one `fit` step on `(x, y)` gives a finite loss and
    changes the weights; `evaluate` gives a finite loss; and, with the
    backbone in a mixed policy, every float output is float32 (the tasks
    promise float32 logits).

    Args:
        build: `build(dtype=None)` returns a new task model on a new tiny
            backbone of that dtype.
        x: the inputs, a dict of arrays.
        y: the labels, as `fit` takes them.
        expected_output_shape: a shape tuple, or a dict of them.
        run_mixed_precision_check: also check `mixed_bfloat16`.

    Returns:
        The trained float32 model.
    """
    model = build()
    run_serialization_test(model)
    # Eagerly: tracing the train step costs ~25 s on 2 cores; the graph-mode
    # fit is exercised by the tasks' overfitting tests.
    model.compile(optimizer=keras.optimizers.SGD(0.1), run_eagerly=True)
    predicted = model.predict(x, verbose=0)
    assert shapes_of(predicted) == expected_output_shape
    assert_all_close(predicted, model(x), atol=1e-5)
    before = [np.array(w) for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=len(keras.tree.flatten(x)[0]), epochs=1, verbose=0)
    assert math.isfinite(history.history["loss"][0])
    changed = [not np.array_equal(b, np.array(w)) for b, w in zip(before, model.trainable_weights, strict=True)]
    assert sum(changed) > len(changed) // 2, f"only {sum(changed)} of {len(changed)} weights were updated"
    assert math.isfinite(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])

    if run_mixed_precision_check:
        mixed = build(dtype="mixed_bfloat16")
        assert mixed.backbone.token_embedding.compute_dtype == "bfloat16"
        assert set(dtypes_of(mixed(x))) == {"float32"}
    return model


def run_model_saving_test(model: keras.Model, input_data: Any, tmp_path: Any, model_dir: bool = True) -> None:
    """Saves and reloads `model` and checks the reloaded outputs are identical.

    Through a `.keras` file (`model.save` / `keras.models.load_model`) and,
    with `model_dir`, through `albert_keras.save_model_dir` /
    `load_model_dir`. Each reload is of the same class.

    Args:
        model: a backbone or task model (give it non-trivial weights, e.g.
            with `randomize_weights`).
        input_data: inputs to compare the outputs on.
        tmp_path: a directory to write into (pytest's `tmp_path`).
        model_dir: also round-trip through a model directory.
    """
    expected = model(input_data)
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model)
    assert_all_close(expected, restored(input_data), atol=1e-6)
    if model_dir:
        directory = str(tmp_path / "model_dir")
        save_model_dir(model, directory)
        restored = load_model_dir(directory)
        assert type(restored) is type(model)
        assert_all_close(expected, restored(input_data), atol=1e-6)


def run_saved_model_test(model: keras.Model, input_data: dict, tmp_path: Any, atol: float = 1e-5) -> None:
    """Exports `model` as a SavedModel, reloads it as a `TFSMLayer`, and compares the outputs.

    Args:
        model: a Keras model with dict inputs.
        input_data: a dict of arrays.
        tmp_path: a directory to write into.
        atol: tolerance (the exported graph may fuse ops differently).
    """
    path = str(tmp_path / "saved_model")
    model.export(path, verbose=False)
    reloaded = keras.layers.TFSMLayer(path, call_endpoint="serve")
    expected, got = model(input_data), reloaded(input_data)
    if isinstance(expected, dict):
        assert set(got) == set(expected)
        got = {k: got[k] for k in expected}
    assert_all_close(expected, got, atol=atol)
