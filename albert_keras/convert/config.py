"""Translation between original/HF ALBERT JSON configs and our backbone config."""

import logging
from typing import Any

logger = logging.getLogger("albert_keras.convert")

# Keys that describe nothing our backbone needs (tokens, task heads, bookkeeping).
_IGNORED_KEYS = frozenset(
    {
        "architectures",
        "model_type",
        "transformers_version",
        "torch_dtype",
        "bos_token_id",
        "eos_token_id",
        "pad_token_id",
        "classifier_dropout_prob",
        "layers_to_keep",
        "_name_or_path",
        "output_past",
        "id2label",
        "label2id",
        "num_labels",
    }
)

# Keys of the original config whose non-default values change the
# architecture into one we do not implement.
_UNSUPPORTED_VALUES = {
    "net_structure_type": 0,
    "gap_size": 0,
    "num_memory_blocks": 0,
    "down_scale_factor": 1,
    "position_embedding_type": "absolute",
}

_REQUIRED = (
    "vocab_size",
    "embedding_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
)

# Our activation name → HF's.
_TO_HF_ACTIVATION = {"gelu_approximate": "gelu_new", "gelu_new": "gelu_new", "relu": "relu", "tanh": "tanh"}


def _activation(name, source):
    if source == "google":
        # The original `modeling.gelu` is the tanh approximation.
        table = {"gelu": "gelu_approximate", "relu": "relu", "tanh": "tanh", "linear": "linear"}
    else:
        table = {
            "gelu_new": "gelu_approximate",
            "gelu_pytorch_tanh": "gelu_approximate",
            "gelu_fast": "gelu_approximate",
            "relu": "relu",
            "tanh": "tanh",
            "linear": "linear",
        }
        if name == "gelu":
            logger.warning(
                "HF hidden_act='gelu' is the exact (erf) GELU; albert_keras implements only the tanh "
                "approximation ('gelu_new'), so outputs will differ by up to ~1e-3. The released ALBERT "
                "checkpoints use 'gelu_new'."
            )
            return "gelu_approximate"
    if name not in table:
        raise ValueError(f"Unsupported hidden_act {name!r} in the {source} config. Supported: {sorted(table)}")
    return table[name]


def backbone_config_from_json(config: dict[str, Any], source: str) -> dict[str, Any]:
    """Translates an original or HF ALBERT config dict to `AlbertBackbone` kwargs.

    This is the one place where the JSON key names (`embedding_size`,
    `num_hidden_groups`, `inner_group_num`, `hidden_act`, ...) become ours
    (`embedding_dim`, `num_groups`, `num_inner_repetitions`, `activation`, ...).

    Args:
        config: the parsed `albert_config.json` (google) or `config.json` (HF).
        source: "google" or "hf"; it decides what `hidden_act="gelu"` means
            (tanh approximation in the original, exact erf GELU in HF).

    Returns:
        A dict of `AlbertBackbone` constructor arguments (sharing "all").

    Raises:
        ValueError: on a missing key, an unknown key, or an architecture
            variant albert_keras does not implement.
    """
    if source not in ("google", "hf"):
        raise ValueError(f"source must be 'google' or 'hf', got {source!r}")
    missing = [k for k in _REQUIRED if k not in config]
    if missing:
        raise ValueError(f"The {source} ALBERT config lacks the keys {missing}.")
    for key, default in _UNSUPPORTED_VALUES.items():
        if key in config and config[key] != default:
            raise ValueError(
                f"The {source} config sets {key}={config[key]!r}; albert_keras supports only {default!r}."
            )
    if config.get("model_type", "albert") != "albert":
        raise ValueError(f"The config's model_type is {config['model_type']!r}, not 'albert'.")
    translation = {
        "vocab_size": "vocabulary_size",
        "num_hidden_layers": "num_layers",
        "num_attention_heads": "num_heads",
        "embedding_size": "embedding_dim",
        "hidden_size": "hidden_dim",
        "intermediate_size": "intermediate_dim",
        "num_hidden_groups": "num_groups",
        "inner_group_num": "num_inner_repetitions",
        "max_position_embeddings": "max_sequence_length",
        "type_vocab_size": "num_segments",
        "hidden_dropout_prob": "dropout",
        "attention_probs_dropout_prob": "attention_dropout",
        "hidden_act": "activation",
        "layer_norm_eps": "layer_norm_epsilon",
        "initializer_range": "initializer_range",
    }
    unknown = sorted(set(config) - set(translation) - _IGNORED_KEYS - set(_UNSUPPORTED_VALUES))
    if unknown:
        logger.warning("Ignoring config keys albert_keras does not use: %s", unknown)
    out = {
        "num_groups": 1,
        "num_inner_repetitions": 1,
        "sharing": "all",
        "max_sequence_length": 512,
        "num_segments": 2,
        "dropout": 0.0,
        "attention_dropout": 0.0,
        "activation": "gelu_approximate",
        "layer_norm_epsilon": 1e-12,
        "initializer_range": 0.02,
    }
    for key, ours in translation.items():
        if key in config:
            out[ours] = config[key]
    out["activation"] = _activation(config.get("hidden_act", "gelu" if source == "google" else "gelu_new"), source)
    for key in ("vocabulary_size", "num_layers", "num_heads", "embedding_dim", "hidden_dim", "intermediate_dim"):
        out[key] = int(out[key])
    return out


def hf_config_from_backbone(backbone_config: dict[str, Any], architecture: str) -> dict[str, Any]:
    """The HF `config.json` dict for a backbone config.

    Args:
        backbone_config: `AlbertBackbone.get_config()` (or a model dir's).
        architecture: "AlbertForPreTraining" or "AlbertModel".

    Returns:
        A dict that `transformers.AlbertConfig` reads.

    Raises:
        ValueError: when the backbone cannot be expressed in HF's ALBERT
            (sharing other than "all", or an activation HF lacks).
    """
    c = backbone_config
    if c.get("sharing", "all") != "all":
        raise ValueError(f"HF ALBERT only shares all blocks in groups; this model has sharing={c['sharing']!r}.")
    if c.get("embedding_projection", "after_norm") != "after_norm":
        raise ValueError(
            "HF ALBERT normalizes the E-wide embedding sum before its E→H projection; this model has "
            f"embedding_projection={c['embedding_projection']!r} (brightmart's albert_zh layout), which HF "
            "cannot express."
        )
    if c["activation"] not in _TO_HF_ACTIVATION:
        raise ValueError(f"Activation {c['activation']!r} has no HF ALBERT equivalent ({sorted(_TO_HF_ACTIVATION)}).")
    return {
        "architectures": [architecture],
        "model_type": "albert",
        "vocab_size": c["vocabulary_size"],
        "embedding_size": c["embedding_dim"],
        "hidden_size": c["hidden_dim"],
        "num_hidden_layers": c["num_layers"],
        "num_hidden_groups": c.get("num_groups", 1),
        "num_attention_heads": c["num_heads"],
        "intermediate_size": c["intermediate_dim"],
        "inner_group_num": c.get("num_inner_repetitions", 1),
        "hidden_act": _TO_HF_ACTIVATION[c["activation"]],
        "hidden_dropout_prob": c.get("dropout", 0.0),
        "attention_probs_dropout_prob": c.get("attention_dropout", 0.0),
        "max_position_embeddings": c.get("max_sequence_length", 512),
        "type_vocab_size": c.get("num_segments", 2),
        "initializer_range": c.get("initializer_range", 0.02),
        "layer_norm_eps": c.get("layer_norm_epsilon", 1e-12),
        "classifier_dropout_prob": 0.1,
        "position_embedding_type": "absolute",
        "pad_token_id": 0,
        "bos_token_id": 2,
        "eos_token_id": 3,
        "torch_dtype": "float32",
    }
