"""Activations, registered so that configs can name them."""

import math
from collections.abc import Callable
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built


@keras.saving.register_keras_serializable(package="albert_keras")
def gelu_approximate(x: Tensor) -> Tensor:
    """The tanh approximation of GELU used by the original ALBERT and BERT.

    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))`.

    Args:
        x: a float tensor of any shape.

    Returns:
        A tensor of the same shape and dtype.
    """
    cdf = 0.5 * (1.0 + ops.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * ops.power(x, 3))))
    return x * cdf


_ALIASES = {
    "gelu_approximate": gelu_approximate,
    "gelu_new": gelu_approximate,  # HF transformers' name
    "gelu": gelu_approximate,  # the original ALBERT config's name for the tanh form
}


def get_activation(identifier: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """Resolves an activation name (original, HF or Keras) to a callable.

    Args:
        identifier: a name such as "gelu_approximate", "gelu_new", "relu",
            or a callable.

    Returns:
        The activation callable.
    """
    if callable(identifier):
        return identifier
    if identifier in _ALIASES:
        return _ALIASES[identifier]
    return keras.activations.get(identifier)


def serialize_activation(activation: str | Callable[[Tensor], Tensor]) -> Any:
    """Returns a JSON-serializable name for an activation."""
    if isinstance(activation, str):
        return activation
    if activation is gelu_approximate:
        return "gelu_approximate"
    return keras.activations.serialize(activation)
