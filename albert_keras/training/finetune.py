"""Fine-tuning on every task: the Python API behind `albert finetune`.

`run_finetuning(config)` is what the CLI and the TFX Trainer call. It writes
a run dir like pretraining's (run_config.yaml, checkpoints/, logs/,
history.jsonl, training_curves.png, metrics.json) and RUN_DIR/model, a model
dir of the task (with `class_labels` for classification and token
classification, and the vocabulary: spiece.model or vocab.txt).
"""

import dataclasses
import math
import os
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from albert_keras import features
from albert_keras.config import ConfigError, FinetuneConfig, coerce
from albert_keras.data import bucketing
from albert_keras.data.readers import conll, multiple_choice, squad, table
from albert_keras.model_dir import save_model_dir
from albert_keras.tasks import AlbertClassifier, AlbertMultipleChoice, AlbertQuestionAnswerer, AlbertTokenClassifier
from albert_keras.tokenizer import loading
from albert_keras.training import metrics as task_metrics
from albert_keras.training import run_files
from albert_keras.training.loop import train
from albert_keras.training.models import build_backbone
from albert_keras.training.optimizer import build_optimizer
from albert_keras.training.strategy import create_strategy, is_chief, per_replica_batch_size, writable_dir


@dataclasses.dataclass
class FinetuneResult:
    """What `run_finetuning` did.

    Attributes:
        run_dir: the run directory.
        model_dir: RUN_DIR/model (written by the chief only).
        metrics: the dict written to metrics.json (`eval` holds the task
            metrics on `data.eval_file`, when given).
        start_step, final_step: update steps at the start and the end.
        chief: whether this process wrote the files.
    """

    run_dir: str
    model_dir: str
    metrics: dict
    start_step: int
    final_step: int
    chief: bool


@dataclasses.dataclass
class TaskData:
    """Encoded data of one split.

    Attributes:
        x: dict of int32 arrays (`[N, T]`, or `[N, C, T]` for multiple choice).
        y: labels (array or dict of arrays).
        extra: what evaluation needs (SQuAD examples and windows, ...).
    """

    x: dict
    y: object
    extra: object = None

    def __len__(self):
        return len(next(iter(self.x.values())))


def _labels(config):
    """Class/tag names: `data.labels`, or collected from the training file."""
    d, name = config.data, config.task.name
    if d.labels:
        return [str(label) for label in d.labels]
    if name == "classification":
        return table.collect_labels(d.train_file, d.label_field)
    if name == "token_classification":
        return conll.collect_tags(d.train_file)
    return None


def encode(config: FinetuneConfig, path: str, encoder: loading.Encoder, labels: list[str] | None) -> TaskData:
    """Reads and encodes one file for `config.task.name`; returns `TaskData`."""
    d, name = config.data, config.task.name
    if name in ("classification", "regression"):
        x, y = table.encode_table(
            path, encoder, d.sequence_length, labels=labels, regression=name == "regression",
            text_field=d.text_field, text_b_field=d.text_b_field, label_field=d.label_field,
        )
        return TaskData(x, y)
    if name == "token_classification":
        x, y, sentences = conll.encode_conll(path, encoder, d.sequence_length, labels)
        return TaskData(x, y, sentences)
    if name == "squad":
        examples = squad.read_squad(path)
        feats = squad.encode_squad(examples, encoder, d.sequence_length, d.doc_stride, d.max_query_length)
        return TaskData(feats.x, feats.y, (examples, feats))
    if name == "multiple_choice":
        x, y = multiple_choice.encode_multiple_choice(path, encoder, d.sequence_length)
        return TaskData(x, y)
    raise ConfigError(f"task.name: unknown task {name!r}")


def build_task(config: FinetuneConfig, backbone: keras.Model, labels: list[str] | None) -> keras.Model:
    """The task model for `config.task.name` on `backbone`."""
    name, dropout = config.task.name, config.task.dropout
    if name == "classification":
        if len(labels) < 2:
            raise ConfigError(f"classification needs at least 2 labels; found {labels} in data.train_file")
        return AlbertClassifier(backbone, len(labels), dropout=dropout, class_labels=labels)
    if name == "regression":
        return AlbertClassifier(backbone, 1, regression=True, dropout=dropout)
    if name == "token_classification":
        return AlbertTokenClassifier(backbone, len(labels), dropout=dropout, class_labels=labels)
    if name == "squad":
        return AlbertQuestionAnswerer(backbone)
    return AlbertMultipleChoice(backbone, dropout=dropout)


def evaluate(
    config: FinetuneConfig, model: keras.Model, data: TaskData, labels: list[str] | None, batch_size: int
) -> dict[str, float]:
    """Task metrics of `model` on `data` (see `albert_keras.training.metrics`)."""
    name = config.task.name
    outputs = model.predict(data.x, batch_size=batch_size, verbose=0)
    if name in ("classification", "multiple_choice"):
        return task_metrics.classification_metrics(data.y, outputs)
    if name == "regression":
        return task_metrics.regression_metrics(data.y, outputs)
    if name == "token_classification":
        return task_metrics.token_classification_metrics(data.y, outputs, labels)
    examples, feats = data.extra
    predictions = squad.predict_answers(
        examples, feats, outputs["start_logits"], outputs["end_logits"], outputs["answerable_logits"],
        max_answer_length=config.data.max_answer_length, squad_v2=config.task.squad_v2,
        null_threshold=config.task.null_threshold,
    )
    return task_metrics.squad_metrics(examples, predictions)


def boundaries_of(config: FinetuneConfig, data: TaskData) -> list[int] | None:
    """The length buckets of `data.bucketing` for these examples, or None (also for multiple choice)."""
    mask = data.x.get(features.PADDING_MASK)
    if mask is None or np.ndim(mask) != 2:
        return None
    d = config.data
    lengths = np.asarray(mask).sum(axis=1).tolist()
    return bucketing.resolve_bucketing(d.bucketing, list(d.bucket_boundaries or []), lengths, d.sequence_length)


def _dataset(data, batch_size, seed, boundaries=None):
    n = len(data)
    ds = tf.data.Dataset.from_tensor_slices((data.x, data.y))
    ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True).repeat()
    if boundaries:
        per_token = isinstance(data.y, np.ndarray) and data.y.ndim == 2  # token classification tags
        return bucketing.bucket_batches(ds, batch_size, boundaries, trim_y=per_token).prefetch(tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def run_finetuning(config: FinetuneConfig | dict[str, Any], fresh: bool = False) -> FinetuneResult:
    """Fine-tunes a task model from a config.

    Args:
        config: a `FinetuneConfig` or the same as a nested dict (YAML).
        fresh: delete the run's checkpoints and start at step 0 (else the
            run resumes from its latest checkpoint).

    Returns:
        A `FinetuneResult`.

    Raises:
        ConfigError: a bad config, missing files, or a batch that does not
            split over the replicas; raised before training starts.
        DataError: a malformed data file (the message names file and line).
    """
    config = coerce(FinetuneConfig, config)
    d, t = config.data, config.training
    strategy = create_strategy(config.distribution.strategy, config.distribution.tpu)
    replicas = strategy.num_replicas_in_sync
    micro_batch = per_replica_batch_size(t.global_batch_size, replicas, t.gradient_accumulation_steps) * replicas
    chief = is_chief(strategy)
    keras.utils.set_random_seed(t.seed)
    if chief:
        run_files.write_run_config(t.run_dir, config)

    spm = d.spm or config.model.init
    encoder = loading.load_encoder(spm)
    labels = _labels(config)
    train_data = encode(config, d.train_file, encoder, labels)
    eval_data = encode(config, d.eval_file, encoder, labels) if d.eval_file else None

    steps_per_epoch = max(1, math.ceil(len(train_data) / t.global_batch_size))
    loop = t.steps_per_loop or steps_per_epoch
    total = t.train_steps or t.epochs * steps_per_epoch
    total = math.ceil(total / loop) * loop

    with strategy.scope():
        backbone = build_backbone(config.model, encoder.vocabulary_size(), t.precision, d.sequence_length)
        model = build_task(config, backbone, labels)
        optimizer = build_optimizer(config.optimizer, total, t.gradient_accumulation_steps, t.precision)
        model.compile(optimizer=optimizer, jit_compile=t.jit_compile)

    outcome = train(
        model,
        _dataset(train_data, micro_batch, t.seed, boundaries_of(config, train_data)),
        run_dir=t.run_dir,
        total_steps=total,
        steps_per_loop=loop,
        checkpoint_every=t.checkpoint_every,
        keep_checkpoints=t.keep_checkpoints,
        global_batch_size=t.global_batch_size,
        accumulation_steps=t.gradient_accumulation_steps,
        strategy=strategy,
        fresh=fresh,
        verbose=t.verbose,
        time_budget_seconds=t.time_budget_seconds,
    )

    metrics = {"task": config.task.name, "step": outcome.final_step, "start_step": outcome.start_step,
               "num_train_examples": len(train_data)}
    if outcome.time_budget:
        metrics["time_budget"] = outcome.time_budget
    if outcome.history:
        metrics["train"] = outcome.history[-1]
        metrics["first_train"] = outcome.history[0]
    eval_batch = t.eval_batch_size or micro_batch
    if eval_data is not None:
        metrics["eval"] = evaluate(config, model, eval_data, labels, eval_batch)
        metrics["num_eval_examples"] = len(eval_data)
    model_dir = os.path.join(t.run_dir, run_files.MODEL_DIR)
    if chief:
        run_files.write_curves(t.run_dir, outcome.history, f"ALBERT fine-tuning: {config.task.name}")
        run_files.write_metrics(t.run_dir, _jsonable(metrics))
    save_model_dir(
        model,
        writable_dir(strategy, model_dir),
        vocab_path=loading.vocab_file(spm),
        tokenizer_options=loading.tokenizer_options(spm),
        metadata={"source": "albert finetune", "task": config.task.name, "step": outcome.final_step,
                  "init": config.model.init, "labels": labels},
    )
    return FinetuneResult(t.run_dir, model_dir, metrics, outcome.start_step, outcome.final_step, chief)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value
