"""HF transformers directory → our model: parity with HF's TF ALBERT, and refusals."""

import json
import os

import numpy as np
import pytest

from albert_keras import convert
from albert_keras.model_dir import backbone_config, load_model_dir, read_config
from tests.test_convert_reference import (
    CONFIGS,
    hf_config_dict,
    inputs,
    make_reference,
    max_diffs,
    our_outputs,
    pt_state_dict,
    record,
    reference_outputs,
    write_hf_dir,
)

TOL = 1e-5


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_from_hf_pretraining_parity(name, tmp_path):
    reference = make_reference(name)
    hf_dir = write_hf_dir(str(tmp_path / "hf"), hf_config_dict(name), pt_state_dict(reference))
    model = convert.from_hf(hf_dir, output=str(tmp_path / "ours"))
    assert type(model).__name__ == "AlbertPretrainer"
    batch = inputs()
    diffs = record(f"hf/{name}", max_diffs(our_outputs(model, batch), reference_outputs(reference, batch)))
    assert set(diffs) == {"sequence_output", "pooled_output", "mlm_logits", "sop_logits"}
    assert max(diffs.values()) <= TOL, diffs
    # The written model directory reloads to the same outputs.
    reloaded = load_model_dir(str(tmp_path / "ours"))
    again = our_outputs(reloaded, batch)
    assert all(np.array_equal(again[k], v) for k, v in our_outputs(model, batch).items())
    meta = json.load(open(tmp_path / "ours" / "metadata.json"))
    config = hf_config_dict(name)
    # PyTorch Linear weights: q, k, v, dense, ffn, ffn_output per inner layer + projection, pooler, MLM dense, SOP.
    assert len(meta["transposed_variables"]) == 6 * config["num_hidden_groups"] * config["inner_group_num"] + 4
    assert all(n.endswith(".weight") and "LayerNorm" not in n and "embeddings" not in n
               for n in meta["transposed_variables"])
    assert backbone_config(read_config(str(tmp_path / "ours")))["activation"] == (
        "relu" if "relu" in name else "gelu_approximate"
    )


def test_from_hf_albert_model_naming_gives_backbone(tmp_path):
    """AlbertModel naming: no `albert.` prefix, no heads, no tied-bias entries."""
    reference = make_reference("e_eq_h")
    state = pt_state_dict(reference)
    backbone_state = {k[len("albert."):]: v for k, v in state.items() if k.startswith("albert.")}
    hf_dir = write_hf_dir(str(tmp_path / "hf"), hf_config_dict("e_eq_h"), backbone_state)
    model = convert.from_hf(hf_dir)
    assert type(model).__name__ == "AlbertBackbone"
    batch = inputs()
    diffs = record("hf/AlbertModel e_eq_h", max_diffs(our_outputs(model, batch), reference_outputs(reference, batch)))
    assert max(diffs.values()) <= TOL, diffs
    # HF keeps a (non-identity) projection even when E == H; it was loaded, not defaulted.
    kernel = model.embeddings_projection.kernel.numpy()
    assert np.array_equal(kernel, state["albert.encoder.embedding_hidden_mapping_in.weight"].T)


def test_from_hf_masked_lm_needs_explicit_random_init(tmp_path):
    """AlbertForMaskedLM has no pooler and no SOP head: refused unless allowed."""
    reference = make_reference("e_ne_h")
    state = {k: v for k, v in pt_state_dict(reference).items()
             if not k.startswith(("albert.pooler", "sop_classifier"))}
    hf_dir = write_hf_dir(str(tmp_path / "hf"), hf_config_dict("e_ne_h"), state)
    with pytest.raises(ValueError) as err:
        convert.from_hf(hf_dir)
    message = str(err.value)
    for name in ("pooler.weight", "pooler.bias", "sop_classifier.classifier.weight", "--allow-random-init"):
        assert name in message
    model = convert.from_hf(hf_dir, allow_random_init=True)
    batch = inputs()
    diffs = max_diffs(our_outputs(model, batch), reference_outputs(reference, batch))
    assert diffs["sequence_output"] <= TOL and diffs["mlm_logits"] <= TOL
    assert diffs["pooled_output"] > 1e-3  # the pooler really is random, and was said to be


def test_from_hf_refuses_unknown_variable(tmp_path):
    state = pt_state_dict(make_reference("e_ne_h"))
    state["albert.encoder.albert_layer_groups.0.albert_layers.0.adapter.weight"] = np.zeros((4, 4), "float32")
    hf_dir = write_hf_dir(str(tmp_path / "hf"), hf_config_dict("e_ne_h"), state)
    with pytest.raises(ValueError, match=r"unmapped variables: encoder\.albert_layer_groups\.0\.albert_layers\.0"
                                         r"\.adapter\.weight"):
        convert.from_hf(hf_dir)


def test_from_hf_refuses_config_that_disagrees_with_shapes(tmp_path):
    state = pt_state_dict(make_reference("e_ne_h"))
    config = dict(hf_config_dict("e_ne_h"), intermediate_size=32)
    hf_dir = write_hf_dir(str(tmp_path / "hf"), config, state)
    with pytest.raises(ValueError) as err:
        convert.from_hf(hf_dir)
    message = str(err.value)
    assert "shape mismatches" in message
    assert "encoder.albert_layer_groups.0.albert_layers.0.ffn.weight has shape (24, 16), config expects (32, 16)" in (
        message
    )


def test_from_hf_refuses_untied_decoder_and_truncated_file(tmp_path):
    state = pt_state_dict(make_reference("e_ne_h"))
    state["predictions.decoder.weight"] = state["albert.embeddings.word_embeddings.weight"] + 1.0
    hf_dir = write_hf_dir(str(tmp_path / "hf"), hf_config_dict("e_ne_h"), state)
    with pytest.raises(ValueError, match="untied decoder"):
        convert.from_hf(hf_dir)
    weights = os.path.join(hf_dir, "model.safetensors")
    with open(weights, "rb") as f:
        data = f.read()
    with open(weights, "wb") as f:
        f.write(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        convert.from_hf(hf_dir)
    os.remove(weights)
    with pytest.raises(ValueError, match="no model.safetensors"):
        convert.from_hf(hf_dir)


def test_config_translation_keys_and_refusals():
    google = {
        "attention_probs_dropout_prob": 0.1, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "embedding_size": 128, "hidden_size": 768, "initializer_range": 0.02, "intermediate_size": 3072,
        "max_position_embeddings": 512, "num_attention_heads": 12, "num_hidden_layers": 12,
        "num_hidden_groups": 1, "net_structure_type": 0, "gap_size": 0, "num_memory_blocks": 0,
        "inner_group_num": 1, "down_scale_factor": 1, "type_vocab_size": 2, "vocab_size": 30000,
    }
    ours = convert.backbone_config_from_json(google, "google")
    assert ours == {
        "vocabulary_size": 30000, "num_layers": 12, "num_heads": 12, "embedding_dim": 128, "hidden_dim": 768,
        "intermediate_dim": 3072, "num_groups": 1, "num_inner_repetitions": 1, "sharing": "all",
        "max_sequence_length": 512, "num_segments": 2, "dropout": 0.1, "attention_dropout": 0.1,
        "activation": "gelu_approximate", "layer_norm_epsilon": 1e-12, "initializer_range": 0.02,
    }
    assert convert.backbone_config_from_json(dict(google, hidden_act="relu"), "google")["activation"] == "relu"
    back = convert.hf_config_from_backbone(ours, "AlbertForPreTraining")
    assert back["hidden_act"] == "gelu_new" and back["model_type"] == "albert"
    assert convert.backbone_config_from_json(back, "hf") == ours
    with pytest.raises(ValueError, match="net_structure_type=1"):
        convert.backbone_config_from_json(dict(google, net_structure_type=1), "google")
    with pytest.raises(ValueError, match="lacks the keys \\['hidden_size'\\]"):
        convert.backbone_config_from_json({k: v for k, v in google.items() if k != "hidden_size"}, "google")
    with pytest.raises(ValueError, match="sharing='ffn'"):
        convert.hf_config_from_backbone(dict(ours, sharing="ffn"), "AlbertModel")
    json.dumps(back)


def test_from_hf_hub_layout_pooler_and_mlm_without_sop(tmp_path):
    """The Hub's albert-*-v2 files hold the pooler and MLM head but no SOP head."""
    reference = make_reference("e_ne_h")
    state = {k: v for k, v in pt_state_dict(reference).items() if not k.startswith("sop_classifier")}
    state["predictions.decoder.weight"] = state["albert.embeddings.word_embeddings.weight"].copy()
    hf_dir = write_hf_dir(str(tmp_path / "hf"), hf_config_dict("e_ne_h"), state)
    with pytest.raises(ValueError, match=r"2 missing variables .*sop_classifier\.classifier\.weight"):
        convert.from_hf(hf_dir)
    backbone = convert.from_hf(hf_dir, backbone_only=True, output=str(tmp_path / "ours"))
    assert type(backbone).__name__ == "AlbertBackbone"
    batch = inputs()
    diffs = max_diffs(our_outputs(backbone, batch), reference_outputs(reference, batch, with_heads=False))
    assert max(diffs.values()) <= TOL, diffs
    meta = json.load(open(tmp_path / "ours" / "metadata.json"))
    assert "predictions.dense.weight" in meta["dropped"] and "predictions.decoder.weight" in meta["dropped"]
