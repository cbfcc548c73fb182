"""Reference ALBERTs for the converter tests, plus checks of the references.

The reference is HF transformers' `TFAlbertForPreTraining` with random
weights (every variable, biases and LayerNorms included). Its PyTorch-named
state dict is built with transformers' own TF→PT name function, and the
original TF1 names are written out explicitly here, independently of
`albert_keras.convert.name_map`.
"""

import json
import os

import numpy as np
import tensorflow as tf

from albert_keras import features

# Named tiny configs: E != H, E == H, 2 groups x 2 inner repetitions, odd head counts.
CONFIGS = {
    "e_ne_h": dict(embedding_size=8, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=24),
    "e_eq_h": dict(embedding_size=12, hidden_size=12, num_hidden_layers=2, num_attention_heads=3, intermediate_size=20),
    "groups_2x2": dict(
        embedding_size=8, hidden_size=12, num_hidden_layers=4, num_attention_heads=2, intermediate_size=20,
        num_hidden_groups=2, inner_group_num=2,
    ),
    "h15_heads3": dict(embedding_size=6, hidden_size=15, num_hidden_layers=2, num_attention_heads=3,
                       intermediate_size=18),
    "h15_heads5_relu": dict(embedding_size=10, hidden_size=15, num_hidden_layers=3, num_attention_heads=5,
                            intermediate_size=18, hidden_act="relu", type_vocab_size=3),
}
VOCAB = 40
MAX_POSITIONS = 16


def hf_config_dict(name):
    """The HF config dict of a named config (tanh GELU, no dropout)."""
    config = dict(
        vocab_size=VOCAB, max_position_embeddings=MAX_POSITIONS, type_vocab_size=2, hidden_act="gelu_new",
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout_prob=0.0,
        num_hidden_groups=1, inner_group_num=1, layer_norm_eps=1e-12, initializer_range=0.02,
    )
    config.update(CONFIGS[name])
    return config


def make_reference(name, seed=0):
    """A `TFAlbertForPreTraining` of a named config with random weights."""
    from transformers import AlbertConfig, TFAlbertForPreTraining

    model = TFAlbertForPreTraining(AlbertConfig(**hf_config_dict(name)))
    model(model.dummy_inputs, training=False)
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape = tuple(w.shape)
        if "LayerNorm/gamma" in w.name or "layer_norm/gamma" in w.name:
            value = 1.0 + 0.2 * rng.standard_normal(shape)
        else:
            value = 0.3 * rng.standard_normal(shape)
        w.assign(value.astype("float32"))
    # TF uses `decoder/bias`, PyTorch ties `predictions.bias` to it: make them one value.
    weights = {w.name: w for w in model.weights}
    bias = [w for n, w in weights.items() if n.endswith("predictions/bias:0")][0]
    decoder_bias = [w for n, w in weights.items() if n.endswith("predictions/decoder/bias:0")][0]
    decoder_bias.assign(bias.numpy())
    return model


def set_identity_projection(model):
    """Sets the reference's E→H mapping to identity (the original has none when E == H)."""
    for w in model.weights:
        if "embedding_hidden_mapping_in/kernel" in w.name:
            w.assign(np.eye(w.shape[0], dtype="float32"))
        elif "embedding_hidden_mapping_in/bias" in w.name:
            w.assign(np.zeros(w.shape, "float32"))


def pt_state_dict(model, with_buffers=True):
    """The PyTorch `AlbertForPreTraining` state dict (numpy) of a TF reference."""
    from transformers.modeling_tf_pytorch_utils import TransposeType, convert_tf_weight_name_to_pt_weight_name

    state = {}
    for w in model.weights:
        name, transpose = convert_tf_weight_name_to_pt_weight_name(w.name, tf_weight_shape=w.shape)
        value = w.numpy()
        state[name] = np.ascontiguousarray(value.T if transpose == TransposeType.SIMPLE else value)
    assert "predictions.decoder.bias" in state and "predictions.bias" in state
    if with_buffers:
        state["albert.embeddings.position_ids"] = np.arange(MAX_POSITIONS, dtype="int64")[None]
    return state


def google_state_dict(pt, config):
    """The original TF1 checkpoint tensors for a PyTorch state dict (explicit names)."""
    out = {
        "bert/embeddings/word_embeddings": pt["albert.embeddings.word_embeddings.weight"],
        "bert/embeddings/position_embeddings": pt["albert.embeddings.position_embeddings.weight"],
        "bert/embeddings/token_type_embeddings": pt["albert.embeddings.token_type_embeddings.weight"],
        "bert/embeddings/LayerNorm/gamma": pt["albert.embeddings.LayerNorm.weight"],
        "bert/embeddings/LayerNorm/beta": pt["albert.embeddings.LayerNorm.bias"],
        "bert/encoder/embedding_hidden_mapping_in/kernel": pt["albert.encoder.embedding_hidden_mapping_in.weight"].T,
        "bert/encoder/embedding_hidden_mapping_in/bias": pt["albert.encoder.embedding_hidden_mapping_in.bias"],
        "bert/pooler/dense/kernel": pt["albert.pooler.weight"].T,
        "bert/pooler/dense/bias": pt["albert.pooler.bias"],
        "cls/predictions/transform/dense/kernel": pt["predictions.dense.weight"].T,
        "cls/predictions/transform/dense/bias": pt["predictions.dense.bias"],
        "cls/predictions/transform/LayerNorm/gamma": pt["predictions.LayerNorm.weight"],
        "cls/predictions/transform/LayerNorm/beta": pt["predictions.LayerNorm.bias"],
        "cls/predictions/output_bias": pt["predictions.bias"],
        "cls/seq_relationship/output_weights": pt["sop_classifier.classifier.weight"],  # [2, H] in both
        "cls/seq_relationship/output_bias": pt["sop_classifier.classifier.bias"],
    }
    pairs = {
        "attention_1/self/query": "attention.query",
        "attention_1/self/key": "attention.key",
        "attention_1/self/value": "attention.value",
        "attention_1/output/dense": "attention.dense",
        "ffn_1/intermediate/dense": "ffn",
        "ffn_1/intermediate/output/dense": "ffn_output",
    }
    norms = {"LayerNorm": "attention.LayerNorm", "LayerNorm_1": "full_layer_layer_norm"}
    for g in range(config.get("num_hidden_groups", 1)):
        for i in range(config.get("inner_group_num", 1)):
            tf1 = f"bert/encoder/transformer/group_{g}/inner_group_{i}"
            hf = f"albert.encoder.albert_layer_groups.{g}.albert_layers.{i}"
            for a, b in pairs.items():
                out[f"{tf1}/{a}/kernel"] = pt[f"{hf}.{b}.weight"].T
                out[f"{tf1}/{a}/bias"] = pt[f"{hf}.{b}.bias"]
            for a, b in norms.items():
                out[f"{tf1}/{a}/gamma"] = pt[f"{hf}.{b}.weight"]
                out[f"{tf1}/{a}/beta"] = pt[f"{hf}.{b}.bias"]
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


def write_tf1_checkpoint(tensors, prefix):
    """Writes a TF1 name-based checkpoint (SaveV2 with the given names)."""
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    names = sorted(tensors)
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[tf.constant(tensors[n]) for n in names],
    )
    return prefix


def write_hf_dir(directory, config, state):
    """Writes a HF directory: config.json and a PyTorch-format model.safetensors."""
    from safetensors.numpy import save_file

    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(dict(config, model_type="albert", architectures=["AlbertForPreTraining"]), f)
    save_file(state, os.path.join(directory, "model.safetensors"), metadata={"format": "pt"})
    return directory


def inputs():
    """A fixed batch with padding, both segments and mask positions."""
    rng = np.random.default_rng(7)
    token_ids = rng.integers(5, VOCAB, size=(3, 9)).astype("int32")
    mask = np.ones((3, 9), "int32")
    mask[1, 5:] = 0
    mask[2, 7:] = 0
    token_ids[mask == 0] = 0
    segments = np.zeros((3, 9), "int32")
    segments[:, 4:] = 1
    segments[mask == 0] = 0
    positions = np.array([[1, 3, 5], [0, 2, 4], [6, 1, 2]], "int32")
    return {
        features.TOKEN_IDS: token_ids,
        features.SEGMENT_IDS: segments,
        features.PADDING_MASK: mask,
        features.MASK_POSITIONS: positions,
    }


def reference_outputs(model, batch, with_heads=True):
    """sequence_output, pooled_output (and gathered MLM logits, SOP logits) of a HF TF model."""
    kwargs = dict(
        input_ids=batch[features.TOKEN_IDS],
        attention_mask=batch[features.PADDING_MASK],
        token_type_ids=batch[features.SEGMENT_IDS],
        training=False,
    )
    base = model.albert(**kwargs) if hasattr(model, "albert") else model(**kwargs)
    out = {"sequence_output": base.last_hidden_state.numpy(), "pooled_output": base.pooler_output.numpy()}
    if with_heads:
        full = model(**kwargs)
        logits = full.prediction_logits.numpy()
        out["mlm_logits"] = np.take_along_axis(logits, batch[features.MASK_POSITIONS][..., None], axis=1)
        out["sop_logits"] = full.sop_logits.numpy()
    return out


def our_outputs(model, batch):
    """The same outputs from our `AlbertPretrainer` or `AlbertBackbone`."""
    is_backbone = type(model).__name__ == "AlbertBackbone"
    backbone = model if is_backbone else model.backbone
    encoded = backbone({k: batch[k] for k in (features.TOKEN_IDS, features.SEGMENT_IDS, features.PADDING_MASK)})
    out = {"sequence_output": np.asarray(encoded["sequence_output"]),
           "pooled_output": np.asarray(encoded["pooled_output"])}
    if not is_backbone:
        heads = model(batch)
        out["mlm_logits"] = np.asarray(heads["mlm_logits"])
        out["sop_logits"] = np.asarray(heads["sop_logits"])
    return out


def max_diffs(ours, reference):
    """Max abs difference per output (keys of `ours` must all be in `reference`)."""
    return {k: float(np.max(np.abs(ours[k] - reference[k]))) for k in ours}


TEXT = [
    "The quick brown fox jumps over the lazy dog. A lite BERT shares its layers.",
    "Factorized embeddings keep the vocabulary table small; sentence order prediction helps.",
    "Über café naïve résumé: accents are stripped when the model is uncased.",
] * 5


def tiny_spm(directory):
    """Trains a VOCAB-piece SentencePiece model into `directory`; returns its path."""
    from albert_keras.tokenizer import vocab

    proto = vocab.train_sentencepiece(TEXT, VOCAB, lowercase=True, strip_accents=True)
    vocab.write_vocab_dir(str(directory), proto, {"lowercase": True, "strip_accents": True})
    return os.path.join(str(directory), vocab.MODEL_FILE)


def record(label, diffs):
    """Prints the measured diffs (visible with `pytest -s`) and returns them."""
    print(f"\nPARITY {label}: " + ", ".join(f"{k}={v:.2e}" for k, v in diffs.items()))
    return diffs


def test_reference_state_dict_names_and_tied_bias():
    model = make_reference("e_ne_h")
    state = pt_state_dict(model)
    assert np.array_equal(state["predictions.bias"], state["predictions.decoder.bias"])
    assert state["albert.encoder.embedding_hidden_mapping_in.weight"].shape == (16, 8)  # [out, in]
    assert state["sop_classifier.classifier.weight"].shape == (2, 16)
    google = google_state_dict(state, hf_config_dict("e_ne_h"))
    # 16 embedding/pooler/head tensors + 16 per inner layer.
    assert len(google) == 16 + 16
