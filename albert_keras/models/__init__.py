"""ALBERT encoder networks.

Importing this package registers `AlbertBackbone` with Keras (for
`keras.saving.deserialize_keras_object`) and its presets (the data of
`albert_keras.presets`) for `AlbertBackbone.from_preset`, as KerasHub's
`register_presets` does.
"""

from albert_keras.models.backbone import AlbertBackbone
from albert_keras.presets import PRESETS

AlbertBackbone.presets = PRESETS

__all__ = ["AlbertBackbone"]
