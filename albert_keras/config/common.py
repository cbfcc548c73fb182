"""Sections shared by the training configs: model, optimizer, run, distribution.

`PretrainConfig` (`albert_keras.config.pretraining`) and `FinetuneConfig`
(`albert_keras.config.finetuning`) nest these sections; the TFX pipeline's
config nests those in turn (`pipeline.config`). The choices below
(`STRATEGIES`, `INPUT_FORMATS`, ...) are defined here once and imported
everywhere else.
"""

import dataclasses
import os
from collections.abc import Collection
from typing import Any

from albert_keras.config.loader import ConfigError
from albert_keras.data.corpus import FORMATS as CORPUS_FORMATS

STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
OPTIMIZERS = ("lamb", "adamw")
BUCKETING_MODES = ("auto", "on", "off")  # albert_keras.data.bucketing.MODES (that module imports TensorFlow)
# What a text input file can be read as: a corpus format, or "csv" (a text/label table; TFX ingestion).
INPUT_FORMATS = (*CORPUS_FORMATS, "csv")


@dataclasses.dataclass
class ModelConfig:
    """Which model to start from.

    Attributes:
        init: a preset name (random init) or a model directory (weights
            loaded; a pretrainer dir or a converted checkpoint dir).
        overrides: backbone config overrides, e.g. `{num_layers: 2}`.
            `vocabulary_size` is set from the vocabulary when `init` is a
            preset.
    """

    init: str = "albert_tiny"
    overrides: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class OptimizerConfig:
    """Optimizer and learning-rate schedule.

    Attributes:
        name: "lamb" or "adamw".
        learning_rate: peak learning rate (after warmup).
        warmup_steps: linear warmup steps (optimizer updates).
        end_learning_rate: learning rate at `decay_steps` (0 in the paper).
        power: polynomial decay power (1 = linear).
        decay_steps: None decays over `training.train_steps`.
        weight_decay: decoupled weight decay (not on LayerNorm or biases).
        beta_1, beta_2, epsilon: Adam moments.
        global_clipnorm: clip gradients to this global norm (None: no clip).
    """

    name: str = "lamb"
    learning_rate: float = 0.00176
    warmup_steps: int = 0
    end_learning_rate: float = 0.0
    power: float = 1.0
    decay_steps: int | None = None
    weight_decay: float = 0.01
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-6
    global_clipnorm: float | None = 1.0


@dataclasses.dataclass
class TrainingConfig:
    """The run.

    Attributes:
        run_dir: where checkpoints, logs, curves, metrics and the model go.
        global_batch_size: examples per optimizer update, over all replicas
            and accumulation steps.
        gradient_accumulation_steps: micro-batches per update; each replica
            sees `global_batch_size / (replicas * steps)` examples a step.
        train_steps: optimizer updates in the whole run (pretraining).
        epochs: passes over the data (fine-tuning; used when
            `train_steps` is 0).
        steps_per_loop: updates between logs (and the unit of resume); 0
            gives min(100, train_steps) for pretraining and one epoch for
            fine-tuning.
        checkpoint_every: updates between checkpoints (a multiple of
            `steps_per_loop`); 0 checkpoints only at the end.
        keep_checkpoints: checkpoints kept.
        precision: "float32", "mixed_bfloat16" or "mixed_float16".
        jit_compile: compile train steps with XLA.
        seed: seed of data order, masking and init.
        eval_batch_size: batch size for evaluation (0: global batch size).
        eval_steps: max evaluation batches (0: all).
        verbose: Keras progress bar (1), one line a loop (2) or none (0).
        time_budget_seconds: wall-clock seconds this invocation may train
            (0: no limit). Training stops after the last loop that fits,
            projected from the loops so far (the first, which traces, is
            left out once there are two), and checkpoints there; the
            learning-rate schedule still spans `train_steps`, and a resumed
            run continues towards them.
    """

    run_dir: str = "runs/default"
    global_batch_size: int = 32
    gradient_accumulation_steps: int = 1
    train_steps: int = 0
    epochs: int = 3
    steps_per_loop: int = 0
    checkpoint_every: int = 0
    keep_checkpoints: int = 3
    precision: str = "float32"
    jit_compile: bool = False
    seed: int = 0
    eval_batch_size: int = 0
    eval_steps: int = 0
    verbose: int = 2
    time_budget_seconds: float = 0.0


@dataclasses.dataclass
class DistributionConfig:
    """tf.distribute settings.

    Attributes:
        strategy: "auto" (mirrored on >1 GPU, TPU when `tpu` is set,
            multi_worker when TF_CONFIG names >1 worker, else default),
            "default", "mirrored", "multi_worker" (reads TF_CONFIG) or "tpu".
        tpu: TPU name or grpc address (strategy tpu), "local" for a TPU VM.
    """

    strategy: str = "auto"
    tpu: str | None = None


def check_common(config: Any) -> None:  # a PretrainConfig, FinetuneConfig or DistillConfig
    """Checks the sections shared by pretraining and fine-tuning; raises `ConfigError` naming the key."""
    choice("optimizer.name", config.optimizer.name, OPTIMIZERS)
    choice("training.precision", config.training.precision, PRECISIONS)
    choice("distribution.strategy", config.distribution.strategy, STRATEGIES)
    if config.distribution.strategy == "tpu" and not config.distribution.tpu:
        raise ConfigError("distribution.tpu must name the TPU (or 'local') when distribution.strategy is tpu.")
    t = config.training
    positive("training.global_batch_size", t.global_batch_size)
    positive("training.gradient_accumulation_steps", t.gradient_accumulation_steps)
    positive("training.keep_checkpoints", t.keep_checkpoints)
    if t.global_batch_size % t.gradient_accumulation_steps:
        raise ConfigError(
            f"training.global_batch_size={t.global_batch_size} is not divisible by "
            f"training.gradient_accumulation_steps={t.gradient_accumulation_steps}."
        )
    if t.time_budget_seconds < 0:
        raise ConfigError(f"training.time_budget_seconds must be >= 0. Received: {t.time_budget_seconds}")
    if t.steps_per_loop < 0 or t.checkpoint_every < 0:
        raise ConfigError("training.steps_per_loop and training.checkpoint_every must be >= 0.")
    if t.steps_per_loop and t.checkpoint_every % t.steps_per_loop:
        raise ConfigError(
            f"training.checkpoint_every={t.checkpoint_every} must be a multiple of "
            f"training.steps_per_loop={t.steps_per_loop} (checkpoints are written between loops)."
        )
    o = config.optimizer
    if o.learning_rate <= 0:
        raise ConfigError(f"optimizer.learning_rate must be > 0. Received: {o.learning_rate}")
    if o.warmup_steps < 0:
        raise ConfigError(f"optimizer.warmup_steps must be >= 0. Received: {o.warmup_steps}")
    if o.weight_decay < 0:
        raise ConfigError(f"optimizer.weight_decay must be >= 0. Received: {o.weight_decay}")
    if not t.run_dir:
        raise ConfigError("training.run_dir is empty.")


def choice(key: str, value: Any, choices: Collection[Any]) -> None:
    """Raises `ConfigError` unless `value` is one of `choices`."""
    if value not in choices:
        raise ConfigError(f"`{key}` must be one of {list(choices)}. Received: {value!r}")


def check_bucketing(section: str, mode: Any, boundaries: Any, sequence_length: Any) -> None:
    """Raises `ConfigError` unless `SECTION.bucketing` / `SECTION.bucket_boundaries` are valid."""
    choice(f"{section}.bucketing", mode, BUCKETING_MODES)
    if boundaries and (
        not isinstance(boundaries, list)
        or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in boundaries)
        or boundaries != sorted(set(boundaries))
        or boundaries[-1] != sequence_length
    ):
        raise ConfigError(
            f"`{section}.bucket_boundaries` must be increasing positive ints ending at `{section}.sequence_length` "
            f"({sequence_length}), or empty to choose them from the data. Received: {boundaries!r}"
        )


def positive(key: str, value: Any) -> None:
    """Raises `ConfigError` unless `value` is an int >= 1."""
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"`{key}` must be a positive integer. Received: {value!r}")


def check_files(key: str, paths: list, globs: bool = False) -> None:
    """Raises `ConfigError` unless every path (or glob, matched with tf.io.gfile) names a file."""
    for path in paths:
        if globs:
            import tensorflow as tf  # only for globs (gs:// too): keeps config loading free of TF

            try:
                found = tf.io.gfile.glob(path)
            except tf.errors.OpError as e:
                raise ConfigError(f"{key}: cannot list {path!r}: {e.message}") from e
        else:
            found = [path] if os.path.isfile(path) else []
        if not found:
            raise ConfigError(f"{key}: no such file: {path!r}")
