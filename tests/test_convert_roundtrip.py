"""Our model dir → HF directory → our model dir; and the HF directory in HF transformers."""

import json
import logging
import os

import numpy as np
import pytest

from albert_keras import convert
from albert_keras.cli import main
from albert_keras.model_dir import backbone_config, load_model_dir, read_config, save_model_dir
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.classifier import AlbertClassifier
from albert_keras.tasks.pretrainer import AlbertPretrainer
from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder
from tests.test_convert_reference import TEXT, hf_config_dict, inputs, max_diffs, our_outputs, record, tiny_spm

TOL = 1e-5
def _random_model(name, with_heads=True, seed=3):
    config = convert.backbone_config_from_json(hf_config_dict(name), "hf")
    backbone = AlbertBackbone(**config)
    model = AlbertPretrainer(backbone) if with_heads else backbone
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign((0.3 * rng.standard_normal(tuple(v.shape))).astype("float32"))
    return model


@pytest.fixture(scope="module")
def spm_file(tmp_path_factory):
    return tiny_spm(tmp_path_factory.mktemp("vocab"))


def _weights(model):
    return {v.path: v.numpy() for v in model.weights}


def test_round_trip_is_bit_identical_and_loads_in_hf(tmp_path, spm_file):
    from transformers import AlbertTokenizer, TFAlbertForPreTraining

    model = _random_model("groups_2x2")
    ours = str(tmp_path / "ours")
    save_model_dir(model, ours, spm_path=spm_file, tokenizer_options={"lowercase": True, "strip_accents": True})
    hf_dir = str(tmp_path / "hf")
    convert.to_hf(ours, hf_dir)
    assert sorted(os.listdir(hf_dir)) == ["config.json", "model.safetensors", "special_tokens_map.json",
                                          "spiece.model", "tokenizer_config.json"]
    hf_config = json.load(open(os.path.join(hf_dir, "config.json")))
    assert hf_config["model_type"] == "albert" and hf_config["architectures"] == ["AlbertForPreTraining"]
    assert hf_config["hidden_act"] == "gelu_new"
    assert (hf_config["num_hidden_groups"], hf_config["inner_group_num"]) == (2, 2)

    back = convert.from_hf(hf_dir, output=str(tmp_path / "back"))
    original, restored = _weights(model), _weights(back)
    assert sorted(original) == sorted(restored)
    assert all(np.array_equal(original[k], restored[k]) for k in original)
    assert backbone_config(read_config(str(tmp_path / "back"))) == backbone_config(read_config(ours))
    assert json.load(open(tmp_path / "back" / "tokenizer.json")) == {"lowercase": True, "strip_accents": True}
    assert open(tmp_path / "back" / "spiece.model", "rb").read() == open(spm_file, "rb").read()

    # HF transformers itself loads the directory (its TF class reads PyTorch-format safetensors without torch).
    reference, info = TFAlbertForPreTraining.from_pretrained(hf_dir, output_loading_info=True)
    assert info["missing_keys"] == [] and info["unexpected_keys"] == [] and info["mismatched_keys"] == []
    from tests.test_convert_reference import reference_outputs

    batch = inputs()
    diffs = record("to_hf/groups_2x2 in TFAlbertForPreTraining",
                   max_diffs(our_outputs(model, batch), reference_outputs(reference, batch)))
    assert max(diffs.values()) <= TOL, diffs

    tokenizer = AlbertTokenizer.from_pretrained(hf_dir)
    encoder = SentencePieceEncoder(spm_file)
    for text in ("The lazy fox, naïve and QUICK.", TEXT[1]):
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == list(encoder.encode(text))
    assert tokenizer.convert_tokens_to_ids(["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"]) == [0, 1, 2, 3, 4]


def test_backbone_exports_as_albert_model(tmp_path):
    from transformers import TFAlbertModel

    model = _random_model("h15_heads3", with_heads=False)
    ours = str(tmp_path / "ours")
    save_model_dir(model, ours)
    hf_dir = str(tmp_path / "hf")
    convert.to_hf(ours, hf_dir)
    from safetensors.numpy import load_file

    names = set(load_file(os.path.join(hf_dir, "model.safetensors")))
    assert "embeddings.word_embeddings.weight" in names and not any(n.startswith("albert.") for n in names)
    assert json.load(open(os.path.join(hf_dir, "config.json")))["architectures"] == ["AlbertModel"]
    reference, info = TFAlbertModel.from_pretrained(hf_dir, output_loading_info=True)
    assert info["missing_keys"] == [] and info["unexpected_keys"] == []
    batch = inputs()
    out = reference(input_ids=batch["token_ids"], attention_mask=batch["padding_mask"],
                    token_type_ids=batch["segment_ids"], training=False)
    ref = {"sequence_output": out.last_hidden_state.numpy(), "pooled_output": out.pooler_output.numpy()}
    diffs = record("to_hf/h15_heads3 AlbertModel in TFAlbertModel", max_diffs(our_outputs(model, batch), ref))
    assert max(diffs.values()) <= TOL, diffs
    back = convert.from_hf(hf_dir)
    assert type(back).__name__ == "AlbertBackbone"
    assert all(np.array_equal(a, b) for a, b in zip(_weights(model).values(), _weights(back).values(), strict=False))


def test_to_hf_refusals_and_task_warning(tmp_path, caplog):
    config = dict(convert.backbone_config_from_json(hf_config_dict("e_ne_h"), "hf"), sharing="none")
    save_model_dir(AlbertBackbone(**config), str(tmp_path / "unshared"))
    with pytest.raises(ValueError, match="sharing='none'"):
        convert.to_hf(str(tmp_path / "unshared"), str(tmp_path / "hf1"))
    classifier = AlbertClassifier(_random_model("e_ne_h", with_heads=False), num_classes=3)
    save_model_dir(classifier, str(tmp_path / "cls"))
    with caplog.at_level(logging.WARNING, logger="albert_keras.convert"):
        convert.to_hf(str(tmp_path / "cls"), str(tmp_path / "hf2"))
    assert "task heads are NOT exported" in caplog.text
    assert json.load(open(tmp_path / "hf2" / "config.json"))["architectures"] == ["AlbertModel"]


def test_cli_to_hf_and_back(tmp_path, capsys):
    model = _random_model("e_eq_h")
    save_model_dir(model, str(tmp_path / "ours"))
    assert main(["convert", "--to", "hf", "--input", str(tmp_path / "ours"), "--output", str(tmp_path / "hf")]) == 0
    assert main(["convert", "--from", "hf", "--input", str(tmp_path / "hf"), "--output", str(tmp_path / "back")]) == 0
    back = load_model_dir(str(tmp_path / "back"))
    assert type(back).__name__ == "AlbertPretrainer"
    original, restored = _weights(model), _weights(back)
    assert all(np.array_equal(original[k], restored[k]) for k in original)
    assert main(["convert", "--from", "hf", "--input", str(tmp_path / "nothing"), "--output", str(tmp_path / "x")]) == 1
    assert "no config.json" in capsys.readouterr().err
