"""MlmEvaluator: MLM accuracy of a pretrained model on the eval split, as a ModelBlessing.

Loads the albert model dir inside the Model artifact, reads the eval split of
the pretraining examples (static masks as written, or dynamic records masked
once with a fixed seed, so the number is repeatable either way), runs
`albert_keras.training.evaluation.evaluate_pretrainer` and blesses the model
when `mlm_accuracy >= min_mlm_accuracy`. Like the standard Evaluator it
writes a BLESSED or NOT_BLESSED file and the custom property `blessed` (1 or
0) that Pusher reads, and `metrics.json` with every number.
"""

import json
import os

import tensorflow as tf
from tfx import v1 as tfx

from albert_keras.config import PretrainDataConfig
from albert_keras.data.pretraining_dataset import records_dataset
from albert_keras.model_dir import load_model_dir
from albert_keras.tasks.pretrainer import AlbertPretrainer
from albert_keras.tokenizer import loading
from albert_keras.tokenizer.special_ids import SENTENCEPIECE
from albert_keras.training.evaluation import evaluate_pretrainer
from pipeline import features
from pipeline.components import examples_io
from pipeline.trainer import model_artifact

METRICS_FILE = "metrics.json"


EVAL_MASK_SEED = 0


def evaluate(
    model_dir: str,
    eval_pattern: str,
    sequence_length: int,
    max_predictions: int,
    batch_size: int = 32,
    max_batches: int = 0,
    masked_lm_prob: float = 0.15,
    max_ngram: int = 3,
) -> dict[str, float]:
    """MLM/SOP metrics of the model dir on the records matching `eval_pattern`.

    Static records are read with their masks; dynamic records are masked once
    with `EVAL_MASK_SEED` (`masked_lm_prob`, `max_ngram`). Every record
    counts: the last partial batch is kept.
    """
    model = load_model_dir(model_dir)
    if not isinstance(model, AlbertPretrainer):
        raise ValueError(
            f"`model_dir` must hold an AlbertPretrainer. Received: {model_dir!r} holding a {type(model).__name__}"
        )
    data = PretrainDataConfig(
        source="records", sequence_length=sequence_length, max_predictions=max_predictions,
        masking_probability=masked_lm_prob, max_ngram=max_ngram,
    )
    vocabulary_size = model.backbone.vocabulary_size
    # Dynamic records are masked with the special ids of the model dir's vocabulary (either kind).
    special_ids = loading.load_encoder(model_dir).special_ids if loading.has_vocabulary(model_dir) else SENTENCEPIECE
    dataset = records_dataset([eval_pattern], data, batch_size, EVAL_MASK_SEED, False, vocabulary_size, special_ids)
    return evaluate_pretrainer(model, dataset, max_batches=max_batches)


@tfx.dsl.components.component
def MlmEvaluator(
    model: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Model],
    examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
    blessing: tfx.dsl.components.OutputArtifact[tfx.types.standard_artifacts.ModelBlessing],
    min_mlm_accuracy: tfx.dsl.components.Parameter[float] = 0.0,
    eval_batches: tfx.dsl.components.Parameter[int] = 0,
):
    """Blesses the model when its eval-split MLM accuracy reaches `min_mlm_accuracy`."""
    masking = examples.get_string_custom_property("masking")
    if masking not in ("static", "dynamic"):
        raise ValueError(f"MlmEvaluator needs static or dynamic pretraining examples, got masking={masking!r}")
    sequence_length = examples.get_int_custom_property("sequence_length")
    max_predictions = examples.get_int_custom_property("max_predictions")
    num_eval = examples.get_int_custom_property(f"num_{features.EVAL_SPLIT}_examples")
    if num_eval == 0:
        raise ValueError("The eval split has no pretraining examples: nothing to evaluate the model on")
    eval_pattern = os.path.join(examples_io.split_dir(examples, features.EVAL_SPLIT), "*")
    model_dir = model_artifact.local_model_dir(model.uri)
    mask_options = {}
    if masking == "dynamic":
        mask_options = {
            "masked_lm_prob": examples.get_float_custom_property("masked_lm_prob"),
            "max_ngram": examples.get_int_custom_property("max_ngram"),
        }
    metrics = evaluate(model_dir, eval_pattern, sequence_length, max_predictions, batch_size=32,
                       max_batches=eval_batches, **mask_options)
    blessed = metrics["mlm_accuracy"] >= min_mlm_accuracy
    metrics.update(min_mlm_accuracy=min_mlm_accuracy, blessed=bool(blessed))
    tf.io.gfile.makedirs(blessing.uri)
    with tf.io.gfile.GFile(os.path.join(blessing.uri, METRICS_FILE), "w") as f:
        f.write(json.dumps(metrics, indent=2))
    with tf.io.gfile.GFile(os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED"), "w") as f:
        f.write("")
    blessing.set_int_custom_property("blessed", 1 if blessed else 0)
    blessing.set_string_custom_property("current_model", model.uri)
    blessing.set_int_custom_property("current_model_id", model.id)
    blessing.set_float_custom_property("mlm_accuracy", float(metrics["mlm_accuracy"]))
    blessing.set_float_custom_property("best_constant_accuracy", float(metrics["best_constant_accuracy"]))
