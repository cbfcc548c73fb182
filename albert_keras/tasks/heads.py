"""The output layers that the task heads share."""

import keras

from albert_keras.layers.dtypes import float32_if_mixed


def head_dense(backbone: keras.Model, units: int, name: str) -> keras.layers.Dense:
    """A task head's output `Dense`: logits `[..., units]`.

    Initialized truncated-normal at the backbone's `initializer_range` (as
    the original's `create_initializer`), and float32 under mixed precision,
    so that the logits and the loss stay float32.

    Args:
        backbone: the task's `AlbertBackbone` (its initializer range and
            dtype policy are used).
        units: output width (classes, tags, 2 for a span or SOP, 1 for a score).
        name: the layer name, part of the weight paths of saved models.

    Returns:
        A new `keras.layers.Dense`.
    """
    return keras.layers.Dense(
        units,
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=backbone.initializer_range),
        dtype=float32_if_mixed(backbone.dtype_policy),
        name=name,
    )


def head_dropout(backbone: keras.Model, rate: float) -> keras.layers.Dropout:
    """The dropout before a task head's `head_dense`, named `output_dropout`.

    Args:
        backbone: the task's `AlbertBackbone` (its dtype policy is used).
        rate: the dropout rate (0.1 in the original fine-tuning).

    Returns:
        A new `keras.layers.Dropout`.
    """
    return keras.layers.Dropout(rate, dtype=backbone.dtype_policy, name="output_dropout")
