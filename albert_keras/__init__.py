"""albert-keras: ALBERT (A Lite BERT, arXiv 1909.11942) in Keras 3 on TensorFlow.

Public API (imported lazily, so `albert --help` does not load TensorFlow):
    AlbertBackbone, AlbertPretrainer, AlbertClassifier, AlbertTokenClassifier,
    AlbertQuestionAnswerer, AlbertMultipleChoice, PRESETS,
    save_model_dir, load_model_dir.

The first of these names to be used imports `albert_keras.tasks`, which
registers every model class (and the presets) with Keras, so that
`load_model_dir` can rebuild any saved model from its `registered_name`.

This package root also names `albert_keras.hub` as the handle resolver of
`albert_keras.handles` (imported on the first `from_preset` of a handle), so
that `from_preset("albert_base_v2")` downloads and converts the checkpoint
however the model class was imported: the root sits above every layer, as
the CLI's entry points do.
"""

import importlib
import os

from albert_keras import handles

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
handles.set_resolver_module("albert_keras.hub")

__version__ = "0.1.0"

_EXPORTS = {
    "AlbertBackbone": "albert_keras.models.backbone",
    "AlbertPretrainer": "albert_keras.tasks.pretrainer",
    "AlbertClassifier": "albert_keras.tasks.classifier",
    "AlbertTokenClassifier": "albert_keras.tasks.token_classifier",
    "AlbertQuestionAnswerer": "albert_keras.tasks.question_answerer",
    "AlbertMultipleChoice": "albert_keras.tasks.multiple_choice",
    "PRESETS": "albert_keras.presets",
    "save_model_dir": "albert_keras.model_dir",
    "load_model_dir": "albert_keras.model_dir",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        if name != "PRESETS":
            importlib.import_module("albert_keras.tasks")  # registers every model class with Keras
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'albert_keras' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))
