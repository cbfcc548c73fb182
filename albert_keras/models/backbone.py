"""The ALBERT encoder: factorized embeddings and cross-layer shared blocks."""

import os
from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from albert_keras import features, handles, model_dir
from albert_keras.layers.activations import serialize_activation
from albert_keras.layers.attention_block import AttentionBlock
from albert_keras.layers.dtypes import float32_if_mixed, policy_name
from albert_keras.layers.feed_forward_block import FeedForwardBlock
from albert_keras.layers.position_embedding import PositionEmbedding
from albert_keras.layers.token_embedding import TokenEmbedding
from albert_keras.models.sharing import SHARING_MODES, block_keys

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built

# Where the factorized embedding is projected E→H (see `AlbertBackbone`'s `embedding_projection`).
EMBEDDING_PROJECTIONS = ("after_norm", "token_only")


def make_attention_bias(padding_mask: Tensor) -> Tensor:
    """The additive attention mask `[batch, 1, 1, seq_len]`: 0 on real tokens, -10000 on padding.

    Built once per batch and shared by every layer.
    """
    bias = (1.0 - ops.cast(padding_mask, "float32")) * -10000.0
    return ops.expand_dims(ops.expand_dims(bias, 1), 1)


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertBackbone(keras.Model):
    """ALBERT encoder network (Lan et al., 2019, arXiv 1909.11942).

    Token, position and segment tables of width E are summed, normalized,
    and projected E→H (`embedding_projection="after_norm"`, the paper's and
    Google's layout). Then `num_layers` post-LN transformer layers run, each
    the `num_inner_repetitions` blocks of its group; layer `l` belongs to
    group `int(l / num_layers * num_groups)`. A tanh dense on the first token
    gives the pooled output.

    Inputs (dict):
        token_ids: int32 `[batch, seq_len]`.
        segment_ids: int32 `[batch, seq_len]`.
        padding_mask: int32 or bool `[batch, seq_len]`, 1 on real tokens.

    Outputs (dict):
        sequence_output: `[batch, seq_len, hidden_dim]`.
        pooled_output: `[batch, hidden_dim]`.
        hidden_states: only with `output_hidden_states=True`, a list of
            `num_layers + 1` tensors `[batch, seq_len, hidden_dim]`: the
            projected embeddings, then each layer's output.

    Args:
        vocabulary_size: V.
        num_layers: L, the number of (possibly shared) layers run.
        num_heads: attention heads; must divide `hidden_dim`.
        embedding_dim: E, the width of the factorized embedding tables.
        hidden_dim: H.
        intermediate_dim: the FFN width.
        num_groups: groups of shared blocks; must divide `num_layers`.
        num_inner_repetitions: blocks run per layer within a group.
        sharing: "all", "attention", "ffn" or "none" (paper's Table 4).
        embedding_projection: where the embeddings are projected E→H.
            "after_norm" (default; google-research, HF, KerasHub): the sum
            of the token, position and segment tables, all E wide, is
            LayerNorm-ed in E, then projected by a dense E→H with a bias.
            "token_only" (brightmart's albert_zh): only the token table
            `[V, E]` is projected, by an E→H kernel without bias; the
            position and segment tables are H wide, added after the
            projection, and the sum is LayerNorm-ed in H. A pretrainer's MLM
            head then transforms H→H and decodes through the transposed
            projection and token table.
        max_sequence_length: positions in the position table.
        num_segments: rows of the segment table.
        dropout: hidden dropout rate.
        attention_dropout: attention-probability dropout rate.
        activation: FFN activation ("gelu_approximate" or e.g. "relu").
        layer_norm_epsilon: LayerNorm epsilon.
        initializer_range: stddev of the truncated-normal initializer.
        output_hidden_states: also output every layer's hidden states.
        dtype: dtype or policy, e.g. "float32", "mixed_bfloat16".

    `AlbertBackbone.presets` maps preset names to their data;
    `albert_keras/models/__init__.py` registers `albert_keras.presets.PRESETS`
    there.

    Example:

    >>> import numpy as np
    >>> backbone = AlbertBackbone(
    ...     vocabulary_size=100, num_layers=2, num_heads=2, embedding_dim=8,
    ...     hidden_dim=16, intermediate_dim=32, max_sequence_length=32)
    >>> out = backbone({
    ...     "token_ids": np.ones((2, 5), "int32"),
    ...     "segment_ids": np.zeros((2, 5), "int32"),
    ...     "padding_mask": np.ones((2, 5), "int32")})
    >>> tuple(out["sequence_output"].shape), tuple(out["pooled_output"].shape)
    ((2, 5, 16), (2, 16))
    """

    presets = {}

    def __init__(
        self,
        vocabulary_size: int,
        num_layers: int,
        num_heads: int,
        embedding_dim: int,
        hidden_dim: int,
        intermediate_dim: int,
        num_groups: int = 1,
        num_inner_repetitions: int = 1,
        sharing: str = "all",
        embedding_projection: str = "after_norm",
        max_sequence_length: int = 512,
        num_segments: int = 2,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        activation: str | Callable[[Tensor], Tensor] = "gelu_approximate",
        layer_norm_epsilon: float = 1e-12,
        initializer_range: float = 0.02,
        output_hidden_states: bool = False,
        dtype: str | keras.DTypePolicy | None = None,
        **kwargs: Any,
    ) -> None:
        if num_layers < 1 or num_groups < 1 or num_inner_repetitions < 1:
            raise ValueError(
                "`num_layers`, `num_groups` and `num_inner_repetitions` must be >= 1. "
                f"Received: num_layers={num_layers}, num_groups={num_groups}, "
                f"num_inner_repetitions={num_inner_repetitions}"
            )
        if num_layers % num_groups != 0:
            raise ValueError(
                "`num_layers` must be divisible by `num_groups`. "
                f"Received: num_layers={num_layers}, num_groups={num_groups}"
            )
        if hidden_dim % num_heads != 0:
            raise ValueError(
                "`hidden_dim` must be divisible by `num_heads`. "
                f"Received: hidden_dim={hidden_dim}, num_heads={num_heads}"
            )
        if sharing not in SHARING_MODES:
            raise ValueError(f"`sharing` must be one of {SHARING_MODES}. Received: sharing={sharing!r}")
        if embedding_projection not in EMBEDDING_PROJECTIONS:
            raise ValueError(
                f"`embedding_projection` must be one of {EMBEDDING_PROJECTIONS}. "
                f"Received: embedding_projection={embedding_projection!r}"
            )
        token_only = embedding_projection == "token_only"
        # The width of the position and segment tables and of the embedding LayerNorm.
        summed_dim = hidden_dim if token_only else embedding_dim

        # === Layers ===
        init = keras.initializers.TruncatedNormal(stddev=initializer_range)
        norm_dtype = float32_if_mixed(dtype)
        self.token_embedding = TokenEmbedding(
            vocabulary_size, embedding_dim, initializer_range, dtype=dtype, name="token_embedding"
        )
        self.position_embedding = PositionEmbedding(
            max_sequence_length, summed_dim, initializer_range, dtype=dtype, name="position_embedding"
        )
        self.segment_embedding = keras.layers.Embedding(
            num_segments, summed_dim, embeddings_initializer=init, dtype=dtype, name="segment_embedding"
        )
        self.embeddings_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=norm_dtype, name="embeddings_layer_norm"
        )
        self.embeddings_dropout = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")
        self.embeddings_projection = keras.layers.Dense(
            hidden_dim, use_bias=not token_only, kernel_initializer=init, dtype=dtype, name="embeddings_projection"
        )
        plan = block_keys(sharing, num_layers, num_groups, num_inner_repetitions)
        self.attention_blocks = {}
        self.ffn_blocks = {}
        for steps in plan:
            for attention_key, ffn_key in steps:
                if attention_key not in self.attention_blocks:
                    self.attention_blocks[attention_key] = AttentionBlock(
                        hidden_dim,
                        num_heads,
                        dropout=dropout,
                        attention_dropout=attention_dropout,
                        layer_norm_epsilon=layer_norm_epsilon,
                        initializer_range=initializer_range,
                        dtype=dtype,
                        name=f"{attention_key}_attention",
                    )
                if ffn_key not in self.ffn_blocks:
                    self.ffn_blocks[ffn_key] = FeedForwardBlock(
                        hidden_dim,
                        intermediate_dim,
                        activation=activation,
                        dropout=dropout,
                        layer_norm_epsilon=layer_norm_epsilon,
                        initializer_range=initializer_range,
                        dtype=dtype,
                        name=f"{ffn_key}_ffn",
                    )
        self.pooler = keras.layers.Dense(
            hidden_dim, activation="tanh", kernel_initializer=init, dtype=dtype, name="pooler"
        )

        # === Functional Model ===
        token_ids = keras.Input(shape=(None,), dtype="int32", name=features.TOKEN_IDS)
        segment_ids = keras.Input(shape=(None,), dtype="int32", name=features.SEGMENT_IDS)
        padding_mask = keras.Input(shape=(None,), dtype="int32", name=features.PADDING_MASK)

        x = self.token_embedding(token_ids)
        if token_only:
            x = self.embeddings_projection(x)
        x = x + self.position_embedding(x) + self.segment_embedding(segment_ids)
        x = self.embeddings_layer_norm(x)
        x = self.embeddings_dropout(x)
        if not token_only:
            x = self.embeddings_projection(x)
        # The additive mask is computed once per batch: [B, 1, 1, T].
        attention_bias = make_attention_bias(padding_mask)
        hidden_states = [x]
        for steps in plan:
            for attention_key, ffn_key in steps:
                x = self.attention_blocks[attention_key](x, attention_bias)
                x = self.ffn_blocks[ffn_key](x)
            hidden_states.append(x)
        pooled = self.pooler(x[:, 0, :])
        outputs = {"sequence_output": x, "pooled_output": pooled}
        if output_hidden_states:
            outputs["hidden_states"] = hidden_states
        super().__init__(
            inputs={
                features.TOKEN_IDS: token_ids,
                features.SEGMENT_IDS: segment_ids,
                features.PADDING_MASK: padding_mask,
            },
            outputs=outputs,
            **kwargs,
        )
        if dtype is not None:
            # Functional models drop a `dtype` argument; set the policy so that the task
            # heads built on this backbone (which read `backbone.dtype_policy`) follow it.
            self.dtype_policy = keras.dtype_policies.get(dtype)

        # === Config ===
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.num_groups = num_groups
        self.num_inner_repetitions = num_inner_repetitions
        self.sharing = sharing
        self.embedding_projection = embedding_projection
        self.max_sequence_length = max_sequence_length
        self.num_segments = num_segments
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation = serialize_activation(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.initializer_range = initializer_range
        self.output_hidden_states = output_hidden_states
        self._dtype_arg = policy_name(dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "vocabulary_size": self.vocabulary_size,
            "num_layers": self.num_layers,
            "num_heads": self.num_heads,
            "embedding_dim": self.embedding_dim,
            "hidden_dim": self.hidden_dim,
            "intermediate_dim": self.intermediate_dim,
            "num_groups": self.num_groups,
            "num_inner_repetitions": self.num_inner_repetitions,
            "sharing": self.sharing,
            "embedding_projection": self.embedding_projection,
            "max_sequence_length": self.max_sequence_length,
            "num_segments": self.num_segments,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "activation": self.activation,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "initializer_range": self.initializer_range,
            "output_hidden_states": self.output_hidden_states,
            "dtype": self._dtype_arg,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "AlbertBackbone":
        return cls(**config)

    @classmethod
    def from_preset(cls, preset: str, load_weights: bool = True, **kwargs: Any) -> "AlbertBackbone":
        """Builds a backbone from a preset, a checkpoint handle or a model directory.

        Args:
            preset: one of
                * a name in `AlbertBackbone.presets` (`albert_keras.presets`):
                  with `load_weights`, its released weights (the registry
                  name of `albert_keras.hub`, downloaded and converted once);
                  a preset without released weights (`albert_tiny`), or
                  `load_weights=False`, gives random weights, downloading
                  nothing;
                * a model directory (`config.json` + weights) of a backbone
                  or of a task, whose backbone is returned;
                * any other handle `albert_keras.hub.resolve` accepts: a
                  registry name (`albert_base_zh`), `hf://OWNER/REPO[@REV]`,
                  `kaggle://...`, `http(s)://` or `gs://` archives, local
                  checkpoint directories and archives.
            load_weights: load the weights; False builds the same
                architecture with random weights.
            **kwargs: overrides of the config (e.g. `dtype`, `dropout`).

        Raises:
            HubError: a handle that cannot be resolved (unknown, unreachable,
                not cached offline, corrupt, unsafe).
        """
        preset = os.fspath(preset)
        entry = cls.presets.get(preset)
        if entry is not None and (not load_weights or not entry.get("has_weights")):
            config = dict(entry["config"])
            config.update(kwargs)
            return cls(**config)
        path = preset if model_dir.is_model_dir(preset) else handles.resolve(preset)
        if not load_weights:
            config = model_dir.backbone_config(model_dir.read_config(path))
            config.update(kwargs)
            return cls(**config)
        return model_dir.load_backbone_dir(path, **kwargs)
