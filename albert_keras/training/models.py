"""Builds the backbone and task models a run starts from (`model.init`)."""

import os
from typing import Any

from albert_keras.config import ConfigError, ModelConfig
from albert_keras.model_dir import load_model_dir, read_config
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.presets import PRESETS
from albert_keras.tasks.pretrainer import AlbertPretrainer

# Backbone settings a saved model dir may be loaded with (they add no weights).
DIR_OVERRIDES = ("dtype", "dropout", "attention_dropout", "output_hidden_states")


def _is_model_dir(path):
    return os.path.isfile(os.path.join(path, "config.json"))


def backbone_overrides(model_config: ModelConfig, vocabulary_size: int, precision: str) -> dict[str, Any]:
    """The backbone constructor overrides for a run; checks them against `model.init`."""
    init = model_config.init
    overrides = dict(model_config.overrides)
    overrides["dtype"] = precision
    if _is_model_dir(init):
        bad = sorted(set(overrides) - set(DIR_OVERRIDES))
        if bad:
            raise ConfigError(
                f"model.overrides.{bad[0]} cannot change a saved model dir ({init}); "
                f"only {', '.join(DIR_OVERRIDES)} can."
            )
        return overrides
    if init not in PRESETS:
        raise ConfigError(
            f"model.init {init!r} is neither a preset nor a model dir (config.json). "
            f"Presets: {', '.join(sorted(PRESETS))}"
        )
    given = overrides.get("vocabulary_size")
    if given is not None and given != vocabulary_size:
        raise ConfigError(
            f"model.overrides.vocabulary_size={given} differs from the vocabulary's {vocabulary_size} pieces."
        )
    overrides["vocabulary_size"] = vocabulary_size
    return overrides


def build_backbone(
    model_config: ModelConfig, vocabulary_size: int, precision: str, sequence_length: int
) -> AlbertBackbone:
    """An `AlbertBackbone` from a preset (random init, nothing downloaded) or a model dir (weights loaded).

    Args:
        model_config: a `ModelConfig`.
        vocabulary_size: pieces of the run's vocabulary.
        precision: dtype policy name ("float32", "mixed_bfloat16", ...).
        sequence_length: T of the run's data.

    Returns:
        The backbone. Build it inside `strategy.scope()`.

    Raises:
        ConfigError: unknown init, vocabulary mismatch, or T above the
            model's `max_sequence_length`.
    """
    overrides = backbone_overrides(model_config, vocabulary_size, precision)
    # A preset starts from random weights (pretraining from scratch); a model dir loads its weights.
    from_scratch = model_config.init in PRESETS and not _is_model_dir(model_config.init)
    backbone = AlbertBackbone.from_preset(model_config.init, load_weights=not from_scratch, **overrides)
    check_backbone(backbone, vocabulary_size, sequence_length, model_config.init)
    return backbone


def check_backbone(backbone: AlbertBackbone, vocabulary_size: int, sequence_length: int, init: str) -> None:
    """Raises `ConfigError` when `backbone` does not fit the vocabulary or T."""
    if backbone.vocabulary_size != vocabulary_size:
        raise ConfigError(
            f"model.init {init!r} has vocabulary_size={backbone.vocabulary_size} but the vocabulary "
            f"(data.spm) has {vocabulary_size} pieces."
        )
    if backbone.max_sequence_length < sequence_length:
        raise ConfigError(
            f"data.sequence_length={sequence_length} exceeds the model's max_sequence_length="
            f"{backbone.max_sequence_length} (model.init {init!r})."
        )


def build_pretrainer(
    model_config: ModelConfig, vocabulary_size: int, precision: str, sequence_length: int
) -> AlbertPretrainer:
    """An `AlbertPretrainer`; a saved pretrainer dir restores its MLM/SOP heads too."""
    init = model_config.init
    if _is_model_dir(init) and read_config(init)["class_name"] == "AlbertPretrainer":
        overrides = backbone_overrides(model_config, vocabulary_size, precision)
        model = load_model_dir(init, **overrides)
        check_backbone(model.backbone, vocabulary_size, sequence_length, init)
        return model
    return AlbertPretrainer(build_backbone(model_config, vocabulary_size, precision, sequence_length))
