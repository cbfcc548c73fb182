import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from albert_keras.models.backbone import AlbertBackbone
from albert_keras.presets import PAPER_PARAMS, PRESETS
from tests.model_helpers import TINY, random_inputs, randomize_weights, tiny_backbone


@pytest.mark.parametrize("seq_len", [1, 7, 24])
def test_output_shapes(seq_len):
    backbone = tiny_backbone()
    out = backbone(random_inputs(batch=2, seq_len=seq_len))
    assert tuple(out["sequence_output"].shape) == (2, seq_len, 8)
    assert tuple(out["pooled_output"].shape) == (2, 8)


def test_hidden_states_option():
    backbone = tiny_backbone(output_hidden_states=True)
    out = backbone(random_inputs())
    assert len(out["hidden_states"]) == TINY["num_layers"] + 1
    np.testing.assert_allclose(out["hidden_states"][-1], out["sequence_output"])
    assert not np.allclose(out["hidden_states"][1], out["hidden_states"][2])


def test_predict_on_arrays_and_tf_data():
    backbone = tiny_backbone()
    x = random_inputs(batch=4, seq_len=9, num_real=[9, 5, 3, 1])
    from_arrays = backbone.predict(x, batch_size=2, verbose=0)
    from_dataset = backbone.predict(tf.data.Dataset.from_tensor_slices(x).batch(3), verbose=0)
    np.testing.assert_allclose(from_arrays["sequence_output"], from_dataset["sequence_output"], atol=1e-6)
    np.testing.assert_allclose(from_arrays["pooled_output"], backbone(x)["pooled_output"], atol=1e-6)


def test_padding_does_not_change_real_positions():
    backbone = tiny_backbone()
    randomize_weights(backbone, seed=1)
    short = random_inputs(batch=2, seq_len=6, seed=3)
    padded = {k: np.pad(v, ((0, 0), (0, 5))) for k, v in short.items()}
    a = backbone(short)
    b = backbone(padded)
    np.testing.assert_allclose(a["sequence_output"], b["sequence_output"][:, :6], atol=1e-5)
    np.testing.assert_allclose(a["pooled_output"], b["pooled_output"], atol=1e-5)


def test_padding_mask_matters():
    backbone = tiny_backbone()
    randomize_weights(backbone, seed=1)
    x = random_inputs(batch=1, seq_len=6)
    masked = dict(x, padding_mask=np.array([[1, 1, 1, 0, 0, 0]], "int32"))
    assert not np.allclose(backbone(x)["sequence_output"][:, :3], backbone(masked)["sequence_output"][:, :3])


def test_config_round_trip():
    backbone = tiny_backbone(sharing="attention", activation="relu", dropout=0.1)
    config = backbone.get_config()
    restored = AlbertBackbone.from_config(config)
    assert json.dumps(restored.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)
    assert set(config) - {"name", "trainable"} == set(TINY) | {
        "sharing", "num_segments", "dropout", "attention_dropout", "activation", "layer_norm_epsilon",
        "initializer_range", "output_hidden_states", "dtype",
    }


def test_keras_file_save_load(tmp_path):
    backbone = tiny_backbone()
    randomize_weights(backbone, seed=2)
    x = random_inputs(num_real=[10, 4, 1])
    path = str(tmp_path / "backbone.keras")
    backbone.save(path)
    restored = keras.models.load_model(path)
    assert isinstance(restored, AlbertBackbone)
    for key in ("sequence_output", "pooled_output"):
        np.testing.assert_allclose(backbone(x)[key], restored(x)[key], atol=1e-6)


def test_saved_model_round_trip(tmp_path):
    backbone = tiny_backbone()
    randomize_weights(backbone, seed=4)
    x = random_inputs(num_real=[10, 6, 2])
    path = str(tmp_path / "sm")
    backbone.export(path, verbose=False)
    layer = keras.layers.TFSMLayer(path, call_endpoint="serve")
    out = layer(x)
    np.testing.assert_allclose(out["sequence_output"], backbone(x)["sequence_output"], atol=1e-5)


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
def test_paper_parameter_counts(name):
    backbone = AlbertBackbone(**PRESETS[name]["config"])
    assert backbone.count_params() == PAPER_PARAMS[name] == PRESETS[name]["params"]


def test_tiny_preset_count_matches_metadata():
    assert AlbertBackbone.from_preset("albert_tiny").count_params() == PRESETS["albert_tiny"]["params"]


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision(policy):
    backbone = tiny_backbone(dtype=policy)
    reference = tiny_backbone()
    reference.set_weights(backbone.get_weights())
    x = random_inputs(num_real=[10, 7, 3])
    out = backbone(x)
    compute = policy.split("_")[1]
    assert backbone.token_embedding.compute_dtype == compute
    assert backbone.embeddings_layer_norm.compute_dtype == "float32"
    for block in backbone.attention_blocks.values():
        assert block.layer_norm.compute_dtype == "float32"
    assert all(w.dtype == "float32" for w in backbone.weights)
    assert keras.backend.standardize_dtype(out["sequence_output"].dtype) == compute
    np.testing.assert_allclose(
        np.asarray(out["sequence_output"], "float32"), reference(x)["sequence_output"], atol=0.1
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_groups=3), "divisible by `num_groups`"),
        (dict(num_heads=3), "divisible by `num_heads`"),
        (dict(sharing="some"), "`sharing` must be one of"),
        (dict(num_inner_repetitions=0), ">= 1"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_backbone(**kwargs)


def test_unknown_preset_is_rejected():
    with pytest.raises(ValueError, match="Received: preset='albert_huge'"):
        AlbertBackbone.from_preset("albert_huge")
