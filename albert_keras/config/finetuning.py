"""The fine-tuning config (`albert finetune`, the pipeline's fine-tuning Trainer).

A YAML file of sections `task`, `model`, `data`, `optimizer`, `training` and
`distribution` (see `configs/finetune/*.yaml`), read with
`albert_keras.config.load(FinetuneConfig, path, overrides)`.
"""

import dataclasses
import os

from albert_keras.config.common import (
    DistributionConfig,
    ModelConfig,
    OptimizerConfig,
    TrainingConfig,
    check_bucketing,
    check_common,
    check_files,
    choice,
    positive,
)
from albert_keras.config.loader import ConfigError
from albert_keras.tokenizer import loading

TASKS = ("classification", "regression", "token_classification", "squad", "multiple_choice")


@dataclasses.dataclass
class FinetuneDataConfig:
    """Fine-tuning data.

    Attributes:
        train_file: CSV/TSV/JSONL (classification, regression, multiple
            choice), CoNLL (token classification) or SQuAD JSON.
        eval_file: the held-out file in the same format (optional).
        spm: a vocabulary dir or file of either kind (`spiece.model` or a
            WordPiece `vocab.txt`); None uses the model dir's.
        sequence_length: T.
        labels: class/tag names in id order; empty collects them from the
            training file (sorted).
        text_field, text_b_field, label_field: column/field names.
        doc_stride: SQuAD window stride in tokens.
        max_query_length: SQuAD question tokens kept.
        max_answer_length: SQuAD longest predicted answer, in tokens.
        bucketing: length-aware training batches ("auto", "on", "off";
            `albert_keras.data.bucketing`); "auto" buckets when the mean
            example length is under 3/4 of T. Multiple choice never buckets.
        bucket_boundaries: bucket widths, increasing, the last T; empty
            chooses them from the training examples.
    """

    train_file: str = ""
    eval_file: str | None = None
    spm: str | None = None
    sequence_length: int = 128
    labels: list = dataclasses.field(default_factory=list)
    text_field: str = "text"
    text_b_field: str = "text_b"
    label_field: str = "label"
    doc_stride: int = 64
    max_query_length: int = 32
    max_answer_length: int = 30
    bucketing: str = "auto"
    bucket_boundaries: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class TaskConfig:
    """The fine-tuning task.

    Attributes:
        name: one of `TASKS`.
        dropout: head dropout.
        squad_v2: SQuAD 2.0 (unanswerable questions; predicts "" when
            `answerable_logits` < `null_threshold`).
        null_threshold: see `squad_v2`.
    """

    name: str = "classification"
    dropout: float = 0.1
    squad_v2: bool = True
    null_threshold: float = 0.0


@dataclasses.dataclass
class FinetuneConfig:
    """The whole fine-tuning config (sections as above)."""

    task: TaskConfig = dataclasses.field(default_factory=TaskConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: FinetuneDataConfig = dataclasses.field(default_factory=FinetuneDataConfig)
    optimizer: OptimizerConfig = dataclasses.field(
        default_factory=lambda: OptimizerConfig(name="adamw", learning_rate=3e-5, warmup_steps=0)
    )
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)
    distribution: DistributionConfig = dataclasses.field(default_factory=DistributionConfig)

    def validate(self) -> "FinetuneConfig":
        """Checks values; raises `ConfigError` naming the key."""
        check_common(self)
        choice("task.name", self.task.name, TASKS)
        check_bucketing("data", self.data.bucketing, self.data.bucket_boundaries, self.data.sequence_length)
        if not self.data.train_file:
            raise ConfigError("data.train_file is empty: give the training file.")
        check_files("data.train_file", [self.data.train_file])
        if self.data.eval_file:
            check_files("data.eval_file", [self.data.eval_file])
        if self.data.spm is not None and not os.path.exists(self.data.spm):
            raise ConfigError(f"data.spm: no such file or directory: {self.data.spm!r}")
        if self.data.spm is None and not loading.has_vocabulary(self.model.init):
            raise ConfigError(
                f"data.spm is not set and model.init {self.model.init!r} is not a model dir with a vocabulary "
                "(spiece.model or vocab.txt)."
            )
        positive("data.sequence_length", self.data.sequence_length)
        if self.training.train_steps < 0:
            raise ConfigError(f"training.train_steps must be >= 0. Received: {self.training.train_steps}")
        if self.training.train_steps == 0:
            positive("training.epochs", self.training.epochs)
        return self
