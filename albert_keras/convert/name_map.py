"""The one map between our variables and the original (TF1) and HF names.

Each `Slot` is one variable of our model with its original TF1 checkpoint
name, its HF PyTorch name (without the `albert.` prefix for backbone weights)
and whether each source stores it transposed relative to our `x @ W` layout.

A backbone with `embedding_projection="token_only"` exists only as
brightmart's albert_zh TF1 checkpoints: its slots carry brightmart's TF1
names (`bert/embeddings/word_embeddings_2`, `bert/encoder/layer_shared/...`)
as their TF1 name and no HF name.
"""

import dataclasses

import numpy as np

from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.pretrainer import AlbertPretrainer

# Parts of a model; a source may lack the heads (and HF AlbertForMaskedLM the pooler).
BACKBONE = "backbone"
POOLER = "pooler"
MLM = "mlm"
SOP = "sop"


@dataclasses.dataclass(frozen=True)
class Slot:
    """One variable of our model and its names in the other formats.

    Attributes:
        variable: our Keras variable.
        google: the TF1 checkpoint name (no `module/` prefix): google-research's,
            or brightmart's for a `token_only` backbone.
        hf: the HF PyTorch name; backbone names carry no `albert.` prefix;
            None where HF has no such model (a `token_only` backbone).
        google_transpose: the TF1 tensor is the transpose of ours.
        hf_transpose: the HF tensor is the transpose of ours (PyTorch
            Linear weights are `[out, in]`).
        part: BACKBONE, POOLER, MLM or SOP.
        google_default: when not None, the value to use if the TF1
            checkpoint lacks the variable (the identity E→H projection that
            the original omits when E == H).
    """

    variable: object
    google: str
    hf: str | None
    google_transpose: bool
    hf_transpose: bool
    part: str
    google_default: object = None

    @property
    def shape(self) -> tuple[int, ...]:
        """Our variable's shape."""
        return tuple(self.variable.shape)

    def transposes(self, fmt: str) -> bool:
        """Whether format `fmt` ("google" or "hf") stores the transpose of ours."""
        return self.google_transpose if fmt == "google" else self.hf_transpose

    def source_shape(self, fmt: str) -> tuple[int, ...]:
        """The shape the tensor has in format `fmt`."""
        return self.shape[::-1] if self.transposes(fmt) else self.shape

    def name(self, fmt: str) -> str:
        """The variable's name in format `fmt`."""
        name = self.google if fmt == "google" else self.hf
        if name is None:
            raise ValueError(
                f"{self.variable.path} has no {fmt} name: a backbone with embedding_projection='token_only' "
                "(brightmart's albert_zh layout) has no HF equivalent."
            )
        return name

    def to_ours(self, fmt: str, array: np.ndarray) -> np.ndarray:
        """Converts a source tensor to our layout."""
        return np.transpose(array) if self.transposes(fmt) else array

    def from_ours(self, fmt: str, array: np.ndarray) -> np.ndarray:
        """Converts our tensor to the layout of format `fmt`."""
        return np.ascontiguousarray(self.to_ours(fmt, array))


def _hf(hf, suffix):
    return None if hf is None else f"{hf}.{suffix}"


def _dense(slots, layer, google, hf, part, transpose_google=False, google_default=None):
    slots.append(Slot(layer.kernel, f"{google}/kernel", _hf(hf, "weight"), transpose_google, True, part,
                      google_default))
    default_bias = None if google_default is None else np.zeros(layer.bias.shape, "float32")
    slots.append(Slot(layer.bias, f"{google}/bias", _hf(hf, "bias"), False, False, part, default_bias))


def _norm(slots, layer, google, hf, part):
    slots.append(Slot(layer.gamma, f"{google}/gamma", _hf(hf, "weight"), False, False, part))
    slots.append(Slot(layer.beta, f"{google}/beta", _hf(hf, "bias"), False, False, part))


def backbone_slots(backbone: AlbertBackbone) -> list[Slot]:
    """The slots of every `AlbertBackbone` variable.

    Args:
        backbone: an `AlbertBackbone` with `sharing="all"` (the only layout
            the original and HF checkpoints have).

    Returns:
        A list of `Slot`s, one per backbone variable.
    """
    if backbone.sharing != "all":
        raise ValueError(
            f"Only sharing='all' backbones map to original/HF checkpoints; got sharing={backbone.sharing!r}."
        )
    if getattr(backbone, "embedding_projection", "after_norm") == "token_only":
        return brightmart_backbone_slots(backbone)
    expected_keys = {
        f"group_{g}_inner_layer_{i}" for g in range(backbone.num_groups) for i in range(backbone.num_inner_repetitions)
    }
    if set(backbone.attention_blocks) != expected_keys or set(backbone.ffn_blocks) != expected_keys:
        raise ValueError(
            f"Unexpected block keys {sorted(backbone.attention_blocks)}; expected {sorted(expected_keys)}."
        )
    slots = []
    add = slots.append
    add(Slot(backbone.token_embedding.embeddings, "bert/embeddings/word_embeddings",
             "embeddings.word_embeddings.weight", False, False, BACKBONE))
    add(Slot(backbone.position_embedding.embeddings, "bert/embeddings/position_embeddings",
             "embeddings.position_embeddings.weight", False, False, BACKBONE))
    add(Slot(backbone.segment_embedding.embeddings, "bert/embeddings/token_type_embeddings",
             "embeddings.token_type_embeddings.weight", False, False, BACKBONE))
    _norm(slots, backbone.embeddings_layer_norm, "bert/embeddings/LayerNorm", "embeddings.LayerNorm", BACKBONE)
    # The original omits the projection when E == H; HF always has it.
    identity = None
    if backbone.embedding_dim == backbone.hidden_dim:
        identity = np.eye(backbone.hidden_dim, dtype="float32")
    _dense(slots, backbone.embeddings_projection, "bert/encoder/embedding_hidden_mapping_in",
           "encoder.embedding_hidden_mapping_in", BACKBONE, google_default=identity)
    for g in range(backbone.num_groups):
        for i in range(backbone.num_inner_repetitions):
            key = f"group_{g}_inner_layer_{i}"
            google = f"bert/encoder/transformer/group_{g}/inner_group_{i}"
            hf = f"encoder.albert_layer_groups.{g}.albert_layers.{i}"
            attention = backbone.attention_blocks[key]
            sa = attention.attention
            for name in ("query", "key", "value"):
                add(Slot(getattr(sa, f"{name}_kernel"), f"{google}/attention_1/self/{name}/kernel",
                         f"{hf}.attention.{name}.weight", False, True, BACKBONE))
                add(Slot(getattr(sa, f"{name}_bias"), f"{google}/attention_1/self/{name}/bias",
                         f"{hf}.attention.{name}.bias", False, False, BACKBONE))
            add(Slot(sa.output_kernel, f"{google}/attention_1/output/dense/kernel",
                     f"{hf}.attention.dense.weight", False, True, BACKBONE))
            add(Slot(sa.output_bias, f"{google}/attention_1/output/dense/bias",
                     f"{hf}.attention.dense.bias", False, False, BACKBONE))
            _norm(slots, attention.layer_norm, f"{google}/LayerNorm", f"{hf}.attention.LayerNorm", BACKBONE)
            ffn = backbone.ffn_blocks[key]
            _dense(slots, ffn.intermediate_dense, f"{google}/ffn_1/intermediate/dense", f"{hf}.ffn", BACKBONE)
            _dense(slots, ffn.output_dense, f"{google}/ffn_1/intermediate/output/dense", f"{hf}.ffn_output", BACKBONE)
            _norm(slots, ffn.layer_norm, f"{google}/LayerNorm_1", f"{hf}.full_layer_layer_norm", BACKBONE)
    _dense(slots, backbone.pooler, "bert/pooler/dense", "pooler", POOLER)
    return slots


def brightmart_backbone_slots(backbone: AlbertBackbone) -> list[Slot]:
    """The slots of a `token_only` backbone, named as in brightmart's albert_zh TF1 checkpoints.

    brightmart's `modeling.py` runs one block (`bert/encoder/layer_shared`,
    the same variables for every layer) and projects only the token table
    E→H (`word_embeddings_2`, no bias). Its post-LN block names are BERT's:
    `attention/self/{query,key,value}`, `attention/output/{dense,LayerNorm}`,
    `intermediate/dense`, `output/{dense,LayerNorm}`. Every kernel is stored
    `[in, out]` as ours.

    Args:
        backbone: an `AlbertBackbone` with `embedding_projection="token_only"`,
            `sharing="all"`, one group and one inner repetition.

    Returns:
        A list of `Slot`s (no HF names), one per backbone variable.
    """
    if backbone.num_groups != 1 or backbone.num_inner_repetitions != 1:
        raise ValueError(
            "brightmart's albert_zh layout shares one block across all layers (`layer_shared`): it needs "
            f"num_groups=1 and num_inner_repetitions=1. Received: num_groups={backbone.num_groups}, "
            f"num_inner_repetitions={backbone.num_inner_repetitions}"
        )
    slots = []
    add = slots.append
    add(Slot(backbone.token_embedding.embeddings, "bert/embeddings/word_embeddings", None, False, False, BACKBONE))
    add(Slot(backbone.embeddings_projection.kernel, "bert/embeddings/word_embeddings_2", None, False, False, BACKBONE))
    add(Slot(backbone.position_embedding.embeddings, "bert/embeddings/position_embeddings", None, False, False,
             BACKBONE))
    add(Slot(backbone.segment_embedding.embeddings, "bert/embeddings/token_type_embeddings", None, False, False,
             BACKBONE))
    _norm(slots, backbone.embeddings_layer_norm, "bert/embeddings/LayerNorm", None, BACKBONE)
    key = "group_0_inner_layer_0"
    tf1 = "bert/encoder/layer_shared"
    sa = backbone.attention_blocks[key].attention
    for name in ("query", "key", "value"):
        add(Slot(getattr(sa, f"{name}_kernel"), f"{tf1}/attention/self/{name}/kernel", None, False, False, BACKBONE))
        add(Slot(getattr(sa, f"{name}_bias"), f"{tf1}/attention/self/{name}/bias", None, False, False, BACKBONE))
    add(Slot(sa.output_kernel, f"{tf1}/attention/output/dense/kernel", None, False, False, BACKBONE))
    add(Slot(sa.output_bias, f"{tf1}/attention/output/dense/bias", None, False, False, BACKBONE))
    _norm(slots, backbone.attention_blocks[key].layer_norm, f"{tf1}/attention/output/LayerNorm", None, BACKBONE)
    ffn = backbone.ffn_blocks[key]
    _dense(slots, ffn.intermediate_dense, f"{tf1}/intermediate/dense", None, BACKBONE)
    _dense(slots, ffn.output_dense, f"{tf1}/output/dense", None, BACKBONE)
    _norm(slots, ffn.layer_norm, f"{tf1}/output/LayerNorm", None, BACKBONE)
    _dense(slots, backbone.pooler, "bert/pooler/dense", None, POOLER)
    return slots


def head_slots(pretrainer: AlbertPretrainer) -> list[Slot]:
    """The slots of the `AlbertPretrainer` heads (MLM transform and bias, SOP).

    The MLM decoder matrix is tied to the token embedding and has no slot.
    """
    slots = []
    mlm = pretrainer.mlm_head
    _dense(slots, mlm.dense, "cls/predictions/transform/dense", "predictions.dense", MLM)
    _norm(slots, mlm.layer_norm, "cls/predictions/transform/LayerNorm", "predictions.LayerNorm", MLM)
    slots.append(Slot(mlm.output_bias, "cls/predictions/output_bias", "predictions.bias", False, False, MLM))
    sop = pretrainer.sop_head
    slots.append(Slot(sop.kernel, "cls/seq_relationship/output_weights", "sop_classifier.classifier.weight",
                      True, True, SOP))
    slots.append(Slot(sop.bias, "cls/seq_relationship/output_bias", "sop_classifier.classifier.bias",
                      False, False, SOP))
    return slots


def model_slots(model: AlbertPretrainer | AlbertBackbone) -> list[Slot]:
    """All slots of an `AlbertBackbone` or `AlbertPretrainer`.

    Asserts that the slots cover every variable of the model exactly once,
    so that no weight can be forgotten by the map.
    """
    is_backbone = type(model).__name__ == "AlbertBackbone"
    backbone = model if is_backbone else model.backbone
    slots = backbone_slots(backbone)
    if not is_backbone:
        if type(model).__name__ != "AlbertPretrainer":
            raise ValueError(
                f"Only AlbertBackbone and AlbertPretrainer map to checkpoints; got {type(model).__name__}."
            )
        slots += head_slots(model)
    covered = [s.variable.path for s in slots]
    weights = [v.path for v in model.weights]
    if len(covered) != len(set(covered)):
        raise AssertionError("The name map lists a variable twice.")
    if sorted(covered) != sorted(weights):
        raise AssertionError(
            "The name map does not cover the model exactly. Unmapped model variables: "
            f"{sorted(set(weights) - set(covered))}; mapped non-variables: {sorted(set(covered) - set(weights))}"
        )
    return slots
