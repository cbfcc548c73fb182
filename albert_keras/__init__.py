"""albert-keras: ALBERT (A Lite BERT, arXiv 1909.11942) in Keras 3 on TensorFlow.

Public API:
    AlbertBackbone, AlbertPretrainer, AlbertClassifier, AlbertTokenClassifier,
    AlbertQuestionAnswerer, AlbertMultipleChoice, PRESETS,
    save_model_dir, load_model_dir.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from albert_keras.model_dir import load_model_dir, save_model_dir  # noqa: E402
from albert_keras.models.backbone import AlbertBackbone  # noqa: E402
from albert_keras.presets import PRESETS  # noqa: E402
from albert_keras.tasks.classifier import AlbertClassifier  # noqa: E402
from albert_keras.tasks.multiple_choice import AlbertMultipleChoice  # noqa: E402
from albert_keras.tasks.pretrainer import AlbertPretrainer  # noqa: E402
from albert_keras.tasks.question_answerer import AlbertQuestionAnswerer  # noqa: E402
from albert_keras.tasks.token_classifier import AlbertTokenClassifier  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "AlbertBackbone",
    "AlbertPretrainer",
    "AlbertClassifier",
    "AlbertTokenClassifier",
    "AlbertQuestionAnswerer",
    "AlbertMultipleChoice",
    "PRESETS",
    "save_model_dir",
    "load_model_dir",
]
