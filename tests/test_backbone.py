import numpy as np
import pytest

from albert_keras.models.backbone import AlbertBackbone
from albert_keras.presets import PAPER_PARAMS, PRESETS
from tests.model_helpers import TINY, random_inputs, randomize_weights, tiny_backbone
from tests.test_case import run_backbone_test, run_model_saving_test, run_saved_model_test, run_serialization_test


def test_backbone_common_checks():
    """Shapes for lengths 1, 7, 9 and 24, predict on arrays and tf.data, config round trip, mixed precision."""
    run_backbone_test(
        AlbertBackbone,
        TINY,
        random_inputs(batch=4, seq_len=9, num_real=[9, 5, 3, 1]),
        expected_output_shape={"sequence_output": (4, 9, 8), "pooled_output": (4, 8)},
        variable_length_data=[random_inputs(batch=2, seq_len=n) for n in (1, 7, 24)],
    )


def test_hidden_states_option():
    backbone = tiny_backbone(output_hidden_states=True)
    out = backbone(random_inputs())
    assert len(out["hidden_states"]) == TINY["num_layers"] + 1
    np.testing.assert_allclose(out["hidden_states"][-1], out["sequence_output"])
    assert not np.allclose(out["hidden_states"][1], out["hidden_states"][2])


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


def test_config_holds_exactly_the_constructor_args():
    backbone = tiny_backbone(sharing="attention", activation="relu", dropout=0.1)
    run_serialization_test(backbone)
    assert set(backbone.get_config()) - {"name", "trainable"} == set(TINY) | {
        "sharing", "embedding_projection", "num_segments", "dropout", "attention_dropout", "activation",
        "layer_norm_epsilon", "initializer_range", "output_hidden_states", "dtype",
    }


def test_token_only_embedding_projection_common_checks():
    """brightmart's layout through the shared checks (shapes, predict, config round trip, mixed precision)."""
    run_backbone_test(
        AlbertBackbone,
        dict(TINY, embedding_projection="token_only"),
        random_inputs(batch=4, seq_len=9, num_real=[9, 5, 3, 1]),
        expected_output_shape={"sequence_output": (4, 9, 8), "pooled_output": (4, 8)},
        variable_length_data=[random_inputs(batch=2, seq_len=n) for n in (1, 24)],
    )


def test_token_only_embedding_projection_projects_the_token_table_before_the_sum():
    """LayerNorm_H(token @ W[E,H] + position_H + segment_H): the projection has no bias, the tables are H wide."""
    backbone = tiny_backbone(embedding_projection="token_only", output_hidden_states=True)
    randomize_weights(backbone, seed=5)
    e, h, p, s = TINY["embedding_dim"], TINY["hidden_dim"], TINY["max_sequence_length"], 2
    assert tuple(backbone.position_embedding.embeddings.shape) == (p, h)
    assert tuple(backbone.segment_embedding.embeddings.shape) == (s, h)
    assert [tuple(w.shape) for w in backbone.embeddings_projection.weights] == [(e, h)]
    assert tuple(backbone.embeddings_layer_norm.gamma.shape) == (h,)
    default = tiny_backbone()
    # Position/segment tables and LayerNorm move from E to H wide; the projection loses its bias.
    assert backbone.count_params() - default.count_params() == (p + s + 2) * (h - e) - h
    x = random_inputs(seq_len=7, num_real=[7, 4, 2])
    table = backbone.token_embedding.embeddings.numpy()
    summed = (table[x["token_ids"]] @ backbone.embeddings_projection.kernel.numpy()
              + backbone.position_embedding.embeddings.numpy()[:7] + backbone.segment_embedding.embeddings.numpy()[
                  x["segment_ids"]])
    mean, var = summed.mean(-1, keepdims=True), summed.var(-1, keepdims=True)
    norm = backbone.embeddings_layer_norm
    want = (summed - mean) / np.sqrt(var + 1e-12) * norm.gamma.numpy() + norm.beta.numpy()
    np.testing.assert_allclose(backbone(x)["hidden_states"][0], want, atol=1e-5)


def test_keras_file_and_model_dir_round_trips(tmp_path):
    backbone = tiny_backbone()
    randomize_weights(backbone, seed=2)
    run_model_saving_test(backbone, random_inputs(num_real=[10, 4, 1]), tmp_path)


def test_saved_model_round_trip(tmp_path):
    backbone = tiny_backbone()
    randomize_weights(backbone, seed=4)
    run_saved_model_test(backbone, random_inputs(num_real=[10, 6, 2]), tmp_path)


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
def test_paper_parameter_counts(name):
    backbone = AlbertBackbone(**PRESETS[name]["config"])
    assert backbone.count_params() == PAPER_PARAMS[name] == PRESETS[name]["params"]


def test_tiny_preset_count_matches_metadata():
    assert AlbertBackbone.from_preset("albert_tiny").count_params() == PRESETS["albert_tiny"]["params"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(num_groups=3), "divisible by `num_groups`"),
        (dict(num_heads=3), "divisible by `num_heads`"),
        (dict(sharing="some"), "`sharing` must be one of"),
        (dict(embedding_projection="before_norm"), "`embedding_projection` must be one of"),
        (dict(num_inner_repetitions=0), ">= 1"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tiny_backbone(**kwargs)


def test_unknown_preset_is_rejected():
    # Neither a preset, a registry name nor a path: the handle resolver names it and the registry.
    with pytest.raises(ValueError, match=r"Received: 'albert_huge'\. Registry names: albert_base_v1"):
        AlbertBackbone.from_preset("albert_huge")
