"""The one map between our `AlbertBackbone` and KerasHub's: weights and config keys.

Each `KerasHubSlot` is one variable of our backbone with its place in a
KerasHub `AlbertBackbone`, under the three names that place has:

- `path`: the Keras variable path in a live KerasHub model
  (`group_0_inner_layer_1/self_attention_layer/query/kernel`);
- `key`: the layer-name path and variable index that the `name` attributes of
  a Keras 3 `model.weights.h5` spell (`group_0_inner_layer_1/
  self_attention_layer/query/0`), which does not depend on how Keras numbers
  the groups;
- `h5_path`: the dataset path that Keras itself reads and writes
  (`layers/transformer_encoder_1/_self_attention_layer/query_dense/vars/0`).

Keras 3 (`keras.src.saving.saving_lib`) lays a model's weights out by
attribute: a Functional model's `layers` list becomes `layers/<snake_case
class name>[_<n>]` (numbered per class, in `model.layers` order), a layer's
sublayers become `<attribute name>/`, and each layer's own variables sit in
`<layer group>/vars/<i>`, in the order of `layer.weights`, with the layer's
`name` as an attribute of the `vars` group.

The reader (`keras_hub.py`) and the writer, and the KerasHub parity test, all
use these slots; this module is also where KerasHub's config keys become ours.
"""

import dataclasses
import logging
from typing import Any

import numpy as np

from albert_keras.models.backbone import AlbertBackbone

logger = logging.getLogger("albert_keras.convert")

BACKBONE_REGISTERED_NAME = "keras_hub>AlbertBackbone"
BACKBONE_MODULE = "keras_hub.src.models.albert.albert_backbone"
TOKENIZER_REGISTERED_NAMES = ("keras_hub>AlbertTokenizer", "keras_hub>SentencePieceTokenizer")
TOKENIZER_MODULE = "keras_hub.src.models.albert.albert_tokenizer"

# KerasHub's AlbertBackbone constructor arguments (0.25.1) and their defaults; None: required.
KERAS_HUB_ARGS = {
    "vocabulary_size": None,
    "num_layers": None,
    "num_heads": None,
    "embedding_dim": None,
    "hidden_dim": None,
    "intermediate_dim": None,
    "num_groups": 1,
    "num_inner_repetitions": 1,
    "dropout": 0.0,
    "max_sequence_length": 512,
    "num_segments": 2,
}
# Base `Backbone` config keys.
_LAYER_KEYS = ("name", "trainable", "dtype")
# What KerasHub's AlbertBackbone fixes and ours makes configurable: refused when different.
FIXED_IN_KERAS_HUB = {
    "sharing": "all",
    "activation": "gelu_approximate",
    "layer_norm_epsilon": 1e-12,
    "embedding_projection": "after_norm",  # brightmart's "token_only" layout has no KerasHub equivalent
}
# Ours only, with no effect on the forward pass of loaded weights: kept in metadata.json.
EXTRA_ARGS = {"attention_dropout": 0.0, "initializer_range": 0.02, "output_hidden_states": False}


@dataclasses.dataclass(frozen=True)
class KerasHubSlot:
    """One variable of our backbone and its place in KerasHub's `AlbertBackbone`.

    Attributes:
        variable: our Keras variable.
        layer: KerasHub's layer-name path (`pooled_dense`,
            `group_0_inner_layer_0/self_attention_layer/query`).
        index: the variable's index in that layer's `vars` group.
        var_name: the variable's name (`kernel`, `bias`, `gamma`, ...).
        h5_layer: the layer's group in `model.weights.h5`
            (`layers/dense_1`).
        keras_hub_shape: the variable's shape in KerasHub (multi-head
            attention kernels are `[H, heads, H/heads]` and
            `[heads, H/heads, H]` there, `[H, H]` here).
    """

    variable: Any
    layer: str
    index: int
    var_name: str
    h5_layer: str
    keras_hub_shape: tuple[int, ...]

    @property
    def path(self) -> str:
        """The Keras variable path in a live KerasHub model."""
        return f"{self.layer}/{self.var_name}"

    @property
    def key(self) -> str:
        """The layer-name path and index that a weights file's `name` attributes spell."""
        return f"{self.layer}/{self.index}"

    @property
    def h5_path(self) -> str:
        """The dataset path in a Keras 3 `model.weights.h5`."""
        return f"{self.h5_layer}/vars/{self.index}"

    @property
    def shape(self) -> tuple[int, ...]:
        """Our variable's shape."""
        return tuple(self.variable.shape)

    def to_ours(self, array: np.ndarray) -> np.ndarray:
        """A KerasHub tensor in our layout (a reshape; the element order is the same)."""
        return np.reshape(array, self.shape)

    def from_ours(self, array: np.ndarray) -> np.ndarray:
        """Our tensor in KerasHub's layout."""
        return np.ascontiguousarray(np.reshape(array, self.keras_hub_shape))


def h5_layer_names(slot: KerasHubSlot) -> list[tuple[str, str]]:
    """`(group path, layer name)` for each layer group above the slot's `vars`.

    The weights file names each layer group's `vars` group after the layer;
    the `layers` container of a Functional model is not a layer.
    """
    parts = slot.h5_layer.split("/")
    names = slot.layer.split("/")
    groups = [("/".join(parts[: i + 1]), p) for i, p in enumerate(parts) if p != "layers"]
    if len(groups) != len(names):
        raise AssertionError(f"The KerasHub map has {slot.h5_layer!r} for layer {slot.layer!r}.")
    return [(group, name) for (group, _), name in zip(groups, names, strict=True)]


def _numbered(name: str, index: int) -> str:
    return name if index == 0 else f"{name}_{index}"


def keras_hub_slots(backbone: AlbertBackbone) -> list[KerasHubSlot]:
    """The slots of every variable of an `AlbertBackbone` in KerasHub's layout.

    Args:
        backbone: an `AlbertBackbone` with `sharing="all"` (KerasHub shares
            attention and FFN together, in groups).

    Returns:
        One `KerasHubSlot` per backbone variable, covering them all once.

    Raises:
        ValueError: a backbone that KerasHub's `AlbertBackbone` cannot hold.
    """
    if backbone.sharing != "all":
        raise ValueError(
            "`sharing` must be 'all' for KerasHub's AlbertBackbone (it shares attention and FFN together). "
            f"Received: sharing={backbone.sharing!r}"
        )
    h, n = backbone.hidden_dim, backbone.num_heads
    d = h // n
    slots = []

    def add(variable, layer, index, var_name, h5_layer, keras_hub_shape=None):
        shape = tuple(variable.shape) if keras_hub_shape is None else keras_hub_shape
        slots.append(KerasHubSlot(variable, layer, index, var_name, h5_layer, shape))

    def dense(layer, name, h5_layer, kernel_shape=None, bias_shape=None):
        add(layer.kernel, name, 0, "kernel", h5_layer, kernel_shape)
        add(layer.bias, name, 1, "bias", h5_layer, bias_shape)

    def norm(layer, name, h5_layer):
        add(layer.gamma, name, 0, "gamma", h5_layer)
        add(layer.beta, name, 1, "beta", h5_layer)

    add(backbone.token_embedding.embeddings, "token_embedding", 0, "embeddings", "layers/reversible_embedding")
    add(backbone.position_embedding.embeddings, "position_embedding", 0, "embeddings", "layers/position_embedding")
    add(backbone.segment_embedding.embeddings, "segment_embedding", 0, "embeddings", "layers/embedding")
    norm(backbone.embeddings_layer_norm, "embeddings_layer_norm", "layers/layer_normalization")
    dense(backbone.embeddings_projection, "embedding_projection", "layers/dense")
    for g in range(backbone.num_groups):
        for i in range(backbone.num_inner_repetitions):
            key = f"group_{g}_inner_layer_{i}"
            # KerasHub's TransformerEncoders, numbered in call order: group by group.
            encoder = "layers/" + _numbered("transformer_encoder", g * backbone.num_inner_repetitions + i)
            attention = backbone.attention_blocks[key]
            sa = attention.attention
            mha = f"{key}/self_attention_layer"
            for name in ("query", "key", "value"):
                add(getattr(sa, f"{name}_kernel"), f"{mha}/{name}", 0, "kernel",
                    f"{encoder}/_self_attention_layer/{name}_dense", (h, n, d))
                add(getattr(sa, f"{name}_bias"), f"{mha}/{name}", 1, "bias",
                    f"{encoder}/_self_attention_layer/{name}_dense", (n, d))
            add(sa.output_kernel, f"{mha}/attention_output", 0, "kernel",
                f"{encoder}/_self_attention_layer/output_dense", (n, d, h))
            add(sa.output_bias, f"{mha}/attention_output", 1, "bias", f"{encoder}/_self_attention_layer/output_dense")
            norm(attention.layer_norm, f"{key}/self_attention_layer_norm", f"{encoder}/_self_attention_layer_norm")
            ffn = backbone.ffn_blocks[key]
            dense(ffn.intermediate_dense, f"{key}/feedforward_intermediate_dense",
                  f"{encoder}/_feedforward_intermediate_dense")
            dense(ffn.output_dense, f"{key}/feedforward_output_dense", f"{encoder}/_feedforward_output_dense")
            norm(ffn.layer_norm, f"{key}/feedforward_layer_norm", f"{encoder}/_feedforward_layer_norm")
    dense(backbone.pooler, "pooled_dense", "layers/dense_1")

    covered = [s.variable.path for s in slots]
    weights = [v.path for v in backbone.weights]
    if len(covered) != len(set(covered)) or sorted(covered) != sorted(weights):
        raise AssertionError(
            "The KerasHub map does not cover the backbone exactly. Unmapped variables: "
            f"{sorted(set(weights) - set(covered))}; mapped non-variables: {sorted(set(covered) - set(weights))}"
        )
    return slots


def _dtype_name(dtype: Any, file: str) -> str | None:
    """The float policy name of a serialized Keras dtype policy; refuses quantized ones."""
    if dtype is None or isinstance(dtype, str):
        return dtype
    if isinstance(dtype, dict) and dtype.get("class_name") == "DTypePolicy":
        return dtype["config"]["name"]
    raise ValueError(
        f"`dtype` in {file} must be a plain float DTypePolicy; albert_keras does not read quantized "
        f"(DTypePolicyMap / quantized) KerasHub presets. Received: {dtype!r}"
    )


def backbone_config_from_keras_hub(config: dict[str, Any], file: str) -> dict[str, Any]:
    """Our `AlbertBackbone` kwargs from a KerasHub `AlbertBackbone` config.

    KerasHub's keys (`vocabulary_size`, `num_layers`, `num_heads`,
    `num_groups`, `num_inner_repetitions`, `embedding_dim`, `hidden_dim`,
    `intermediate_dim`, `dropout`, `max_sequence_length`, `num_segments`)
    have the same names and meanings here. What KerasHub fixes becomes ours
    explicitly: `sharing="all"`, `activation="gelu_approximate"`,
    `layer_norm_epsilon=1e-12`, and `attention_dropout=dropout` (KerasHub's
    `TransformerEncoder` uses one rate for both).

    Args:
        config: the `config` dict of KerasHub's `config.json`.
        file: the file it came from, for messages.

    Returns:
        `AlbertBackbone` constructor arguments.

    Raises:
        ValueError: a missing or unknown key, or a quantized dtype.
    """
    missing = sorted(k for k, default in KERAS_HUB_ARGS.items() if default is None and k not in config)
    if missing:
        raise ValueError(f"The KerasHub AlbertBackbone config in {file} lacks the keys {missing}.")
    unknown = sorted(set(config) - set(KERAS_HUB_ARGS) - set(_LAYER_KEYS))
    if unknown:
        raise ValueError(
            f"The KerasHub AlbertBackbone config in {file} has keys albert_keras does not know: {unknown} "
            f"(known: {sorted(KERAS_HUB_ARGS)})."
        )
    out = {k: config.get(k, default) for k, default in KERAS_HUB_ARGS.items()}
    for key in ("vocabulary_size", "num_layers", "num_heads", "embedding_dim", "hidden_dim", "intermediate_dim",
                "num_groups", "num_inner_repetitions", "max_sequence_length", "num_segments"):
        out[key] = int(out[key])
    out.update(FIXED_IN_KERAS_HUB)
    out["attention_dropout"] = out["dropout"]
    dtype = _dtype_name(config.get("dtype"), file)
    if dtype not in (None, "float32"):
        # float32 is what our default policy gives; other policies are kept.
        out["dtype"] = dtype
    if "name" in config:
        out["name"] = config["name"]
    return out


def keras_hub_config_from_backbone(backbone: AlbertBackbone, dtype: dict | None) -> tuple[dict, dict]:
    """KerasHub's `AlbertBackbone` config for our backbone, and what only we have.

    Args:
        backbone: our backbone.
        dtype: its serialized Keras dtype policy.

    Returns:
        `(config, extra)`: the `config` dict of KerasHub's `config.json`, and
        our settings KerasHub lacks that do not change the forward pass of
        loaded weights (`attention_dropout`, `initializer_range`,
        `output_hidden_states`), for metadata.json.

    Raises:
        ValueError: naming the field that KerasHub cannot represent
            (`sharing`, `activation`, `layer_norm_epsilon`, `embedding_projection`).
    """
    ours = backbone.get_config()
    for key, value in FIXED_IN_KERAS_HUB.items():
        got = ours.get(key, value)
        if got != value:
            raise ValueError(
                f"`{key}` must be {value!r} for KerasHub's AlbertBackbone, which fixes it. Received: {key}={got!r}"
            )
    config = {"name": ours.get("name", "albert_backbone"), "trainable": bool(ours.get("trainable", True))}
    config["dtype"] = dtype
    for key in KERAS_HUB_ARGS:
        config[key] = ours[key]
    extra = {k: ours.get(k, default) for k, default in EXTRA_ARGS.items()}
    if extra["attention_dropout"] != ours["dropout"]:
        logger.warning(
            "KerasHub's AlbertBackbone has one dropout rate: attention_dropout=%s is written as dropout=%s "
            "(kept in metadata.json for the way back).", extra["attention_dropout"], ours["dropout"]
        )
    if extra["output_hidden_states"]:
        logger.warning("KerasHub's AlbertBackbone has no output_hidden_states: it outputs the sequence and pooled "
                       "outputs only.")
    return config, extra
