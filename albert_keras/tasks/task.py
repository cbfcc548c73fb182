"""The base class of task models: a backbone plus heads, serialized together."""

import os
from typing import Any

import keras

from albert_keras import handles, model_dir
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
    def from_preset(cls, preset: str, load_weights: bool = True, **kwargs: Any) -> "AlbertTask":
        """Builds the task on a preset backbone, a checkpoint handle or a model directory.

        A model directory (or a converted handle) saved from this same task
        class, with the same (or no) `kwargs`, is restored whole, heads
        included. Any other gives its backbone (weights loaded) under new
        heads, e.g. `AlbertClassifier.from_preset("albert_base_zh", num_classes=2)`.

        Args:
            preset: a preset name, a model directory, or any handle
                `AlbertBackbone.from_preset` accepts.
            load_weights: load the backbone's (and same-class heads')
                weights; False builds random weights.
            **kwargs: task constructor args (e.g. `num_classes`).

        Raises:
            HubError: a handle that cannot be resolved.
        """
        preset = os.fspath(preset)
        entry = AlbertBackbone.presets.get(preset)
        if entry is not None and (not load_weights or not entry.get("has_weights")):
            return cls(backbone=AlbertBackbone.from_preset(preset, load_weights=False), **kwargs)
        path = preset if model_dir.is_model_dir(preset) else handles.resolve(preset)
        if load_weights:
            config = model_dir.read_config(path)
            saved = config["config"]
            same_heads = all(saved.get(k) == v for k, v in kwargs.items())
            if model_dir.saved_class(config, os.path.join(path, model_dir.CONFIG_FILE)) is cls and same_heads:
                return model_dir.load_model_dir(path)
        return cls(backbone=AlbertBackbone.from_preset(path, load_weights=load_weights), **kwargs)


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
