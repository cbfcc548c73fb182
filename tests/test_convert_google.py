"""Original google-research TF1 checkpoints → our model: parity and refusals."""

import json
import logging
import os

import numpy as np
import pytest

from albert_keras import convert
from albert_keras.cli import main
from albert_keras.model_dir import load_model_dir, read_config
from albert_keras.tokenizer.loading import load_tokenizer
from tests.hub_fixtures import original_config
from tests.test_convert_reference import (
    google_state_dict,
    inputs,
    make_reference,
    max_diffs,
    our_outputs,
    pt_state_dict,
    record,
    reference_outputs,
    set_identity_projection,
    tiny_spm,
    write_tf1_checkpoint,
)

TOL = 1e-5


def _training_checkpoint(name, tmp_path, hub=False, drop=(), extra=None):
    """A reference and its TF1 training checkpoint (with Adam/LAMB slots and global_step)."""
    reference = make_reference(name)
    config = original_config(name)
    if config["embedding_size"] == config["hidden_size"]:
        set_identity_projection(reference)
    tensors = google_state_dict(pt_state_dict(reference), config)
    if config["embedding_size"] == config["hidden_size"]:
        # The original creates no projection when E == H.
        del tensors["bert/encoder/embedding_hidden_mapping_in/kernel"]
        del tensors["bert/encoder/embedding_hidden_mapping_in/bias"]
    for key in list(tensors):
        tensors[f"{key}/adam_m"] = np.zeros_like(tensors[key])
        tensors[f"{key}/adam_v"] = np.ones_like(tensors[key])
    tensors["global_step"] = np.array(125000, "int64")
    for key in drop:
        del tensors[key]
    tensors.update(extra or {})
    if hub:
        tensors = {f"module/{k}": v for k, v in tensors.items()}
    prefix = write_tf1_checkpoint(tensors, str(tmp_path / "ckpt" / "model.ckpt-best"))
    config_path = str(tmp_path / "albert_config.json")
    with open(config_path, "w") as f:
        json.dump(config, f)
    return reference, prefix, config_path


@pytest.mark.parametrize("name,hub", [("e_ne_h", False), ("e_eq_h", True), ("groups_2x2", False),
                                      ("h15_heads5_relu", False)])
def test_from_google_parity(name, hub, tmp_path):
    reference, prefix, config_path = _training_checkpoint(name, tmp_path, hub=hub)
    model = convert.from_google_checkpoint(prefix, config_path, output=str(tmp_path / "ours"))
    assert type(model).__name__ == "AlbertPretrainer"
    batch = inputs()
    label = f"google/{name}" + (" (module/ prefix)" if hub else "")
    diffs = record(label, max_diffs(our_outputs(model, batch), reference_outputs(reference, batch)))
    assert max(diffs.values()) <= TOL, diffs
    meta = json.load(open(tmp_path / "ours" / "metadata.json"))
    assert meta["skipped_optimizer_variables"] == 2 * (meta["converted_variables"]) + 1
    assert meta["transposed_variables"] == ["cls/seq_relationship/output_weights"]
    if name == "e_eq_h":
        assert meta["identity_defaults"] == ["bert/encoder/embedding_hidden_mapping_in/kernel",
                                             "bert/encoder/embedding_hidden_mapping_in/bias"]


def test_google_backbone_only_checkpoint_with_wordpiece_vocab(tmp_path, caplog):
    """A checkpoint without heads (zh-style relu + WordPiece) gives a backbone, says so, and keeps the vocab."""
    heads = [k for k in google_state_dict(pt_state_dict(make_reference("h15_heads5_relu")),
                                          original_config("h15_heads5_relu")) if k.startswith("cls/")]
    reference, prefix, config_path = _training_checkpoint(
        "h15_heads5_relu", tmp_path, drop=heads + [f"{k}/adam_m" for k in heads] + [f"{k}/adam_v" for k in heads])
    vocab = tmp_path / "vocab_chinese.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n的\n")
    with caplog.at_level(logging.INFO, logger="albert_keras.convert"):
        model = convert.from_google_checkpoint(prefix, config_path, output=str(tmp_path / "ours"), vocab=str(vocab))
    assert type(model).__name__ == "AlbertBackbone"
    assert "no MLM/SOP heads" in caplog.text
    assert read_config(str(tmp_path / "ours"))["class_name"] == "AlbertBackbone"
    assert (tmp_path / "ours" / "vocab.txt").read_text().startswith("[PAD]")
    # The model dir's tokenizer is WordPiece, its special ids read from vocab_chinese.txt.
    tokenizer = load_tokenizer(str(tmp_path / "ours"))
    assert type(tokenizer).__name__ == "WordPieceTokenizer"
    assert (tokenizer.special_ids.cls, tokenizer.special_ids.mask) == (2, 4)
    assert tokenizer.tokenize(["的[MASK]"]).to_list() == [[5, 4]]
    batch = inputs()
    diffs = record("google/no-heads h15_heads5_relu",
                   max_diffs(our_outputs(model, batch), reference_outputs(reference, batch)))
    assert max(diffs.values()) <= TOL, diffs


def test_google_refuses_missing_variables(tmp_path):
    _, prefix, config_path = _training_checkpoint(
        "groups_2x2", tmp_path, drop=["bert/encoder/transformer/group_1/inner_group_1/LayerNorm_1/gamma",
                                      "bert/pooler/dense/bias"])
    with pytest.raises(ValueError) as err:
        convert.from_google_checkpoint(prefix, config_path)
    message = str(err.value)
    assert "2 missing variables" in message
    assert "bert/encoder/transformer/group_1/inner_group_1/LayerNorm_1/gamma" in message
    assert "bert/pooler/dense/bias" in message


def test_google_refuses_truncated_checkpoint_file(tmp_path):
    _, prefix, config_path = _training_checkpoint("e_ne_h", tmp_path)
    data = prefix + ".data-00000-of-00001"
    size = os.path.getsize(data)
    with open(data, "r+b") as f:
        f.truncate(size // 3)
    with pytest.raises(ValueError, match="truncated or corrupt: cannot read"):
        convert.from_google_checkpoint(prefix, config_path)
    with pytest.raises(ValueError, match="Cannot open the TF1 checkpoint"):
        convert.from_google_checkpoint(str(tmp_path / "nothing" / "model.ckpt"), config_path)


def test_google_refuses_unknown_variable_and_wrong_config(tmp_path):
    _, prefix, config_path = _training_checkpoint(
        "e_ne_h", tmp_path, extra={"bert/encoder/transformer/group_0/inner_group_0/adapter/kernel":
                                   np.zeros((3, 3), "float32")})
    with pytest.raises(ValueError, match=r"1 unknown/unmapped variables: "
                                         r"bert/encoder/transformer/group_0/inner_group_0/adapter/kernel"):
        convert.from_google_checkpoint(prefix, config_path)
    _, prefix, config_path = _training_checkpoint("e_ne_h", tmp_path / "b")
    config = json.load(open(config_path))
    config["embedding_size"] = 10
    with pytest.raises(ValueError) as err:
        convert.from_google_checkpoint(prefix, config)
    message = str(err.value)
    assert "bert/embeddings/word_embeddings has shape (40, 8), config expects (40, 10)" in message
    assert "bert/encoder/embedding_hidden_mapping_in/kernel has shape (8, 16), config expects (10, 16)" in message


def test_cli_from_google(tmp_path, capsys):
    reference, prefix, config_path = _training_checkpoint("e_ne_h", tmp_path)
    out = str(tmp_path / "ours")
    spm = tiny_spm(tmp_path / "vocab")
    assert main(["convert", "--from", "google", "--checkpoint", prefix, "--config", config_path,
                 "--spm", spm, "--output", out]) == 0
    model = load_model_dir(out)
    assert open(os.path.join(out, "spiece.model"), "rb").read() == open(spm, "rb").read()
    assert json.load(open(os.path.join(out, "tokenizer.json"))) == {"lowercase": True, "strip_accents": True}
    batch = inputs()
    diffs = max_diffs(our_outputs(model, batch), reference_outputs(reference, batch))
    assert max(diffs.values()) <= TOL, diffs
    # A refused conversion exits 1 and names the problem.
    assert main(["convert", "--from", "google", "--checkpoint", prefix, "--config", config_path,
                 "--spm", spm, "--cased", "--output", str(tmp_path / "bad"), "--backbone-only"]) == 0
    assert read_config(str(tmp_path / "bad"))["class_name"] == "AlbertBackbone"
    assert json.load(open(tmp_path / "bad" / "tokenizer.json"))["lowercase"] is False
    config = json.load(open(config_path))
    config["num_hidden_layers"] = 3
    config["num_hidden_groups"] = 3
    with open(config_path, "w") as f:
        json.dump(config, f)
    assert main(["convert", "--from", "google", "--checkpoint", prefix, "--config", config_path,
                 "--output", str(tmp_path / "bad2")]) == 1
    assert "missing variables" in capsys.readouterr().err
    assert main(["convert", "--from", "google", "--output", str(tmp_path / "x")]) == 2
