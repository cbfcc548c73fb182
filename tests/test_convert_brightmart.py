"""brightmart albert_zh TF1 checkpoints → our model: parity against a numpy restatement, and refusals.

The checkpoint is written here with brightmart's variable names and shapes
(their `modeling.py` and `run_pretraining.py`); the reference outputs come
from `brightmart_forward`, a numpy restatement of their forward pass that
shares no code with albert_keras.
"""

import json
import os

import numpy as np
import pytest

from albert_keras import convert, features
from albert_keras.cli import main
from albert_keras.convert.brightmart import brightmart_files
from albert_keras.model_dir import load_model_dir, read_config
from tests.test_convert_reference import inputs, max_diffs, our_outputs, record, write_tf1_checkpoint

TOL = 1e-5
V, E, H, HEADS, INTER, LAYERS, POSITIONS, SEGMENTS = 40, 6, 16, 4, 24, 3, 16, 2

# An albert_config_tiny.json-style config: BERT's keys (the unused pooler ones included) + embedding_size, ln_type.
CONFIG = {
    "attention_probs_dropout_prob": 0.0,
    "directionality": "bidi",
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.0,
    "hidden_size": H,
    "embedding_size": E,
    "initializer_range": 0.02,
    "intermediate_size": INTER,
    "max_position_embeddings": POSITIONS,
    "num_attention_heads": HEADS,
    "num_hidden_layers": LAYERS,
    "pooler_fc_size": 768,
    "pooler_num_attention_heads": 12,
    "pooler_num_fc_layers": 3,
    "pooler_size_per_head": 128,
    "pooler_type": "first_token_transform",
    "type_vocab_size": SEGMENTS,
    "vocab_size": V,
    "ln_type": "postln",
}

SHARED = "bert/encoder/layer_shared"


def brightmart_tensors(seed=0):
    """Every weight of a brightmart pretraining checkpoint, by its TF1 name, random (LayerNorms too)."""
    shapes = {
        "bert/embeddings/word_embeddings": (V, E),
        "bert/embeddings/word_embeddings_2": (E, H),
        "bert/embeddings/token_type_embeddings": (SEGMENTS, H),
        "bert/embeddings/position_embeddings": (POSITIONS, H),
        "bert/embeddings/LayerNorm/gamma": (H,),
        "bert/embeddings/LayerNorm/beta": (H,),
        f"{SHARED}/attention/output/dense/kernel": (H, H),
        f"{SHARED}/attention/output/dense/bias": (H,),
        f"{SHARED}/attention/output/LayerNorm/gamma": (H,),
        f"{SHARED}/attention/output/LayerNorm/beta": (H,),
        f"{SHARED}/intermediate/dense/kernel": (H, INTER),
        f"{SHARED}/intermediate/dense/bias": (INTER,),
        f"{SHARED}/output/dense/kernel": (INTER, H),
        f"{SHARED}/output/dense/bias": (H,),
        f"{SHARED}/output/LayerNorm/gamma": (H,),
        f"{SHARED}/output/LayerNorm/beta": (H,),
        "bert/pooler/dense/kernel": (H, H),
        "bert/pooler/dense/bias": (H,),
        "cls/predictions/transform/dense/kernel": (H, H),
        "cls/predictions/transform/dense/bias": (H,),
        "cls/predictions/transform/LayerNorm/gamma": (H,),
        "cls/predictions/transform/LayerNorm/beta": (H,),
        "cls/predictions/output_bias": (V,),
        "cls/seq_relationship/output_weights": (2, H),
        "cls/seq_relationship/output_bias": (2,),
    }
    for name in ("query", "key", "value"):
        shapes[f"{SHARED}/attention/self/{name}/kernel"] = (H, H)
        shapes[f"{SHARED}/attention/self/{name}/bias"] = (H,)
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, shape in shapes.items():
        value = rng.normal(0.0, 0.3, shape)
        if name.endswith("gamma"):
            value += 1.0
        tensors[name] = value.astype("float32")
    return tensors


def _gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def _layer_norm(x, w, scope):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w[f"{scope}/gamma"] + w[f"{scope}/beta"]


def _dense(x, w, scope):
    return x @ w[f"{scope}/kernel"] + w[f"{scope}/bias"]


def brightmart_forward(w, batch):
    """brightmart's BertModel + get_masked_lm_output + get_next_sentence_output, in float64 numpy.

    Returns sequence_output `[B, T, H]`, pooled_output `[B, H]`, mlm_logits
    `[B, M, V]` at `mask_positions`, sop_logits `[B, 2]`.
    """
    w = {k: v.astype("float64") for k, v in w.items()}
    ids, segments = batch[features.TOKEN_IDS], batch[features.SEGMENT_IDS]
    mask = batch[features.PADDING_MASK].astype("float64")
    b, t = ids.shape
    # embedding_lookup_factorized: gather in E, project to H; embedding_postprocessor: + type + position, LN in H.
    x = w["bert/embeddings/word_embeddings"][ids] @ w["bert/embeddings/word_embeddings_2"]
    x = x + w["bert/embeddings/token_type_embeddings"][segments] + w["bert/embeddings/position_embeddings"][:t]
    x = _layer_norm(x, w, "bert/embeddings/LayerNorm")
    adder = (1.0 - mask[:, None, None, :]) * -10000.0  # [B, 1, 1, T]
    d = H // HEADS

    def heads(y):
        return y.reshape(b, t, HEADS, d).transpose(0, 2, 1, 3)

    for _ in range(LAYERS):  # transformer_model: the same `layer_shared` variables every layer, post-LN
        q = heads(_dense(x, w, f"{SHARED}/attention/self/query"))
        k = heads(_dense(x, w, f"{SHARED}/attention/self/key"))
        v = heads(_dense(x, w, f"{SHARED}/attention/self/value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + adder
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(b, t, H)
        attention = _layer_norm(_dense(context, w, f"{SHARED}/attention/output/dense") + x, w,
                                f"{SHARED}/attention/output/LayerNorm")
        inner = _gelu(_dense(attention, w, f"{SHARED}/intermediate/dense"))
        x = _layer_norm(_dense(inner, w, f"{SHARED}/output/dense") + attention, w, f"{SHARED}/output/LayerNorm")
    pooled = np.tanh(_dense(x[:, 0], w, "bert/pooler/dense"))
    gathered = x[np.arange(b)[:, None], batch[features.MASK_POSITIONS]]  # [B, M, H]
    transformed = _layer_norm(_gelu(_dense(gathered, w, "cls/predictions/transform/dense")), w,
                              "cls/predictions/transform/LayerNorm")
    # H -> E through word_embeddings_2 transposed, E -> V through word_embeddings transposed.
    mlm = (transformed @ w["bert/embeddings/word_embeddings_2"].T @ w["bert/embeddings/word_embeddings"].T
           + w["cls/predictions/output_bias"])
    sop = pooled @ w["cls/seq_relationship/output_weights"].T + w["cls/seq_relationship/output_bias"]
    return {"sequence_output": x, "pooled_output": pooled, "mlm_logits": mlm, "sop_logits": sop}


def _checkpoint(tmp_path, drop=(), extra=None, config=None):
    """Writes a brightmart training checkpoint (with Adam slots and global_step) and its config."""
    weights = brightmart_tensors()
    tensors = dict(weights)
    for key in weights:
        tensors[f"{key}/adam_m"] = np.zeros_like(weights[key])
        tensors[f"{key}/adam_v"] = np.ones_like(weights[key])
    tensors["global_step"] = np.array(489000, "int64")
    for key in drop:
        del tensors[key]
    tensors.update(extra or {})
    prefix = write_tf1_checkpoint(tensors, str(tmp_path / "albert_tiny_zh" / "albert_model.ckpt"))
    config_path = str(tmp_path / "albert_tiny_zh" / "albert_config_tiny.json")
    with open(config_path, "w") as f:
        json.dump(config or CONFIG, f)
    return weights, prefix, config_path


def _vocab(tmp_path):
    """A BERT-Chinese-style vocab.txt: [PAD], [unused*], [UNK], [CLS], [SEP], [MASK], then CJK characters."""
    specials = ["[PAD]", "[unused1]", "[unused2]", "[unused3]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    characters = list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成")[: V - len(specials)]
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(specials + characters) + "\n", encoding="utf-8")
    return str(path)


def _assert_parity(label, model, weights, keys=None):
    batch = inputs()
    reference = brightmart_forward(weights, batch)
    ours = our_outputs(model, batch)
    diffs = record(label, max_diffs({k: v for k, v in ours.items() if keys is None or k in keys}, reference))
    assert max(diffs.values()) <= TOL, diffs
    return diffs


def test_from_brightmart_parity_and_model_dir(tmp_path):
    weights, prefix, config_path = _checkpoint(tmp_path)
    out = str(tmp_path / "ours")
    model = convert.from_brightmart(prefix, config_path, output=out, vocab=_vocab(tmp_path))
    assert type(model).__name__ == "AlbertPretrainer"
    assert model.backbone.embedding_projection == "token_only"
    diffs = _assert_parity("brightmart/tiny", model, weights)
    assert set(diffs) == {"sequence_output", "pooled_output", "mlm_logits", "sop_logits"}
    # Every variable came from the checkpoint: 31 weights, Adam slots and global_step skipped.
    meta = json.load(open(os.path.join(out, "metadata.json")))
    assert meta["converted_variables"] == len(weights) == 31
    assert meta["skipped_optimizer_variables"] == 2 * len(weights) + 1
    assert meta["transposed_variables"] == ["cls/seq_relationship/output_weights"]
    # The model dir reloads with the same outputs and carries the WordPiece vocabulary.
    _assert_parity("brightmart/tiny (model dir)", load_model_dir(out), weights)
    assert read_config(out)["config"]["backbone"]["config"]["embedding_projection"] == "token_only"
    assert open(os.path.join(out, "vocab.txt"), encoding="utf-8").read().startswith("[PAD]\n[unused1]")
    assert json.load(open(os.path.join(out, "tokenizer.json"))) == {
        "kind": "wordpiece", "lowercase": True, "strip_accents": True}


def test_brightmart_checkpoint_without_heads_gives_a_backbone(tmp_path):
    heads = [k for k in brightmart_tensors() if k.startswith("cls/")]
    weights, prefix, config_path = _checkpoint(
        tmp_path, drop=heads + [f"{k}/adam_{s}" for k in heads for s in "mv"])
    model = convert.from_brightmart(prefix, config_path)
    assert type(model).__name__ == "AlbertBackbone"
    _assert_parity("brightmart/tiny no heads", model, weights)


def test_brightmart_missing_and_extra_variables_are_named(tmp_path):
    _, prefix, config_path = _checkpoint(tmp_path / "a", drop=[f"{SHARED}/output/LayerNorm/gamma"])
    with pytest.raises(ValueError, match=rf"1 missing variables: {SHARED}/output/LayerNorm/gamma"):
        convert.from_brightmart(prefix, config_path)
    extra = {f"{SHARED}/attention/adapter/kernel": np.zeros((3, 3), "float32")}
    _, prefix, config_path = _checkpoint(tmp_path / "b", extra=extra)
    with pytest.raises(ValueError, match=rf"1 unknown/unmapped variables: {SHARED}/attention/adapter/kernel"):
        convert.from_brightmart(prefix, config_path)


def test_brightmart_shape_mismatch_is_named(tmp_path):
    _, prefix, config_path = _checkpoint(tmp_path, config=dict(CONFIG, embedding_size=E + 2))
    with pytest.raises(ValueError) as err:
        convert.from_brightmart(prefix, config_path)
    message = str(err.value)
    assert f"bert/embeddings/word_embeddings has shape ({V}, {E}), config expects ({V}, {E + 2})" in message
    assert f"bert/embeddings/word_embeddings_2 has shape ({E}, {H}), config expects ({E + 2}, {H})" in message


def test_brightmart_refuses_pre_ln_and_google_version_configs(tmp_path):
    _, prefix, config_path = _checkpoint(tmp_path, config=dict(CONFIG, ln_type="preln"))
    with pytest.raises(ValueError, match=r"`ln_type` must be 'postln' .* Received: ln_type='preln'"):
        convert.from_brightmart(prefix, config_path)
    with pytest.raises(ValueError, match=r"Google-version keys \['num_hidden_groups', 'inner_group_num'\]"):
        convert.from_brightmart(prefix, dict(CONFIG, num_hidden_groups=1, inner_group_num=1))


def test_layouts_point_at_each_other(tmp_path):
    """A brightmart checkpoint given to the Google converter (and back) says which converter to use."""
    _, prefix, config_path = _checkpoint(tmp_path)
    google_config = {k: v for k, v in CONFIG.items() if k != "ln_type" and not k.startswith(("pooler", "dir"))}
    with pytest.raises(ValueError, match="brightmart's albert_zh layout.*--from brightmart"):
        convert.from_google_checkpoint(prefix, google_config)
    google_names = {"bert/encoder/transformer/group_0/inner_group_0/LayerNorm/gamma": np.ones(H, "float32"),
                    "bert/embeddings/word_embeddings": np.ones((V, E), "float32")}
    google_prefix = write_tf1_checkpoint(google_names, str(tmp_path / "google" / "model.ckpt-best"))
    with pytest.raises(ValueError, match="in Google's layout.*--from google"):
        convert.from_brightmart(google_prefix, config_path)


def test_token_only_model_refuses_hf_export(tmp_path):
    _, prefix, config_path = _checkpoint(tmp_path)
    out = str(tmp_path / "ours")
    convert.from_brightmart(prefix, config_path, output=out)
    with pytest.raises(ValueError, match="embedding_projection='token_only'.*HF"):
        convert.to_hf(out, str(tmp_path / "hf"))


def test_cli_from_brightmart(tmp_path, capsys):
    weights, prefix, config_path = _checkpoint(tmp_path)
    out = str(tmp_path / "ours")
    vocab = _vocab(tmp_path)
    assert main(["convert", "--from", "brightmart", "--checkpoint", prefix, "--config", config_path,
                 "--vocab", vocab, "--output", out]) == 0
    assert "wrote AlbertPretrainer model directory" in capsys.readouterr().err
    _assert_parity("brightmart/tiny (CLI)", load_model_dir(out), weights)
    assert open(os.path.join(out, "vocab.txt"), encoding="utf-8").read() == open(vocab, encoding="utf-8").read()
    # A refused conversion exits 1 and names the config key; missing arguments exit 2.
    with open(config_path, "w") as f:
        json.dump(dict(CONFIG, ln_type="preln"), f)
    assert main(["convert", "--from", "brightmart", "--checkpoint", prefix, "--config", config_path,
                 "--output", str(tmp_path / "bad")]) == 1
    assert "ln_type" in capsys.readouterr().err
    assert main(["convert", "--from", "brightmart", "--output", str(tmp_path / "x")]) == 2


def test_brightmart_files_finds_an_unpacked_zip(tmp_path):
    _, prefix, config_path = _checkpoint(tmp_path / "unpacked")  # one folder: albert_tiny_zh/
    vocab = tmp_path / "unpacked" / "albert_tiny_zh" / "vocab.txt"
    vocab.write_text("[PAD]\n", encoding="utf-8")
    found = brightmart_files(str(tmp_path / "unpacked"))
    assert found == {"checkpoint": prefix, "config": config_path, "vocab": str(vocab)}
    assert brightmart_files(str(tmp_path / "unpacked" / "albert_tiny_zh")) == found  # flat
    with pytest.raises(FileNotFoundError, match="Found 0"):
        brightmart_files(str(tmp_path))  # two levels down: not searched
    (tmp_path / "unpacked" / "albert_tiny_zh" / "albert_model.ckpt-2.index").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="must hold one brightmart checkpoint"):
        brightmart_files(str(tmp_path / "unpacked"))
