"""Task models: an ALBERT backbone plus heads and their losses.

Importing this package (or any module in it) imports every task module, so
that every task class is registered with Keras before a model directory or a
`.keras` file naming it is loaded.
"""

from albert_keras.tasks.classifier import AlbertClassifier
from albert_keras.tasks.multiple_choice import AlbertMultipleChoice
from albert_keras.tasks.pretrainer import AlbertPretrainer
from albert_keras.tasks.question_answerer import AlbertQuestionAnswerer
from albert_keras.tasks.task import AlbertTask
from albert_keras.tasks.token_classifier import AlbertTokenClassifier

__all__ = [
    "AlbertClassifier",
    "AlbertMultipleChoice",
    "AlbertPretrainer",
    "AlbertQuestionAnswerer",
    "AlbertTask",
    "AlbertTokenClassifier",
]
