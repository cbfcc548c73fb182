"""The base class of task models: a backbone plus heads, serialized together."""

import os
from typing import Any

import keras

from albert_keras import model_dir
from albert_keras.models.backbone import AlbertBackbone


class AlbertTask(keras.Model):
    """A functional model around an `AlbertBackbone`.

    Subclasses build their graph in `__init__` and call `_finish_init`.
    `get_config` holds the serialized backbone plus the subclass's own
    constructor args (listed in `_task_args`).
    """

    _task_args = ()

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "trainable": self.trainable}
        config["backbone"] = keras.layers.serialize(self.backbone)
        for arg in self._task_args:
            config[arg] = getattr(self, arg)
        return config

    def get_compile_config(self) -> dict[str, Any] | None:
        return super().get_compile_config()

    def compile_from_config(self, config: dict[str, Any]) -> None:
        return super().compile_from_config(config)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "AlbertTask":
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)

    @classmethod
    def from_preset(cls, preset: str, **kwargs: Any) -> "AlbertTask":
        """Builds the task on a preset backbone or a model directory.

        A model directory saved from this same task class, with the same
        (or no) `kwargs`, is restored whole, heads included. Any other model
        directory gives its backbone (weights loaded) under new heads.

        Args:
            preset: a preset name or a model directory.
            **kwargs: task constructor args (e.g. `num_classes`).
        """
        if os.path.isdir(preset):
            config = model_dir.read_config(preset)
            saved = config["config"]
            same_heads = all(saved.get(k) == v for k, v in kwargs.items())
            if model_dir.saved_class(config, os.path.join(preset, model_dir.CONFIG_FILE)) is cls and same_heads:
                return model_dir.load_model_dir(preset)
        return cls(backbone=AlbertBackbone.from_preset(preset), **kwargs)


def backbone_inputs(backbone: AlbertBackbone, extra_rank: int = 0) -> dict[str, keras.KerasTensor]:
    """New `keras.Input`s matching the backbone's, optionally with an extra axis.

    Args:
        backbone: an `AlbertBackbone`.
        extra_rank: 1 adds a leading choice axis: `[batch, num_choices, seq_len]`.

    Returns:
        A dict of int32 inputs keyed like the backbone's.
    """
    shape = (None,) * (1 + extra_rank)
    return {name: keras.Input(shape=shape, dtype="int32", name=name) for name in backbone.input}
