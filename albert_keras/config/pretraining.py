"""The pretraining config (`albert pretrain`, `albert distill`, the pipeline's Trainer).

A YAML file of sections `model`, `data`, `optimizer`, `training`,
`distribution` and `distill` (see `configs/pretrain/*.yaml`), read with
`albert_keras.config.load(PretrainConfig, path, overrides)`.
"""

import dataclasses
import os

from albert_keras.config.common import (
    CORPUS_FORMATS,
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
from albert_keras.config.distillation import DistillConfig, check_distill
from albert_keras.config.loader import ConfigError

PRETRAIN_SOURCES = ("text", "records")


@dataclasses.dataclass
class PretrainDataConfig:
    """Pretraining data.

    Attributes:
        source: "text" (raw corpus files, tokenized and masked on the fly)
            or "records" (TFRecords of `albert make-pretraining-data` or the
            pipeline: static ones, with masks and the original feature
            names, or dynamic ones, masked while reading; the kind is read
            off the first record).
        train_files: corpus files (source text) or TFRecord files/globs.
        eval_files: held-out files; empty takes `eval_fraction` of the
            documents (text) or runs no evaluation (records).
        format: corpus format for text files ("auto", "text", "lines",
            "fortune", "jsonl").
        spm: a vocabulary dir or file of either kind (`spiece.model` or a
            WordPiece `vocab.txt`); None (text only) trains
            one of `vocab_size` pieces into RUN_DIR/vocab first.
        vocab_size: pieces of the vocabulary trained when `spm` is None.
        sequence_length: T, tokens per example.
        max_predictions: masked positions per example.
        masking_probability: fraction of tokens masked (text and dynamic
            records).
        max_ngram: the longest masked n-gram, in words (text and dynamic
            records); p(n) ∝ 1/n.
        dynamic_masking: re-mask every epoch (text and dynamic records);
            False masks once. Static records keep their written masks.
        short_seq_prob: chance of a shorter target length (as the original).
        eval_fraction: held-out document fraction when `eval_files` is empty.
        shuffle_buffer: examples in the shuffle buffer.
        bucketing: length-aware batching of records ("auto", "on", "off";
            `albert_keras.data.bucketing`): batches of similar length cut to
            a bucket width. "auto" buckets when the records' mean length is
            under 3/4 of T.
        bucket_boundaries: bucket widths, increasing, the last T; empty
            chooses them from the records' lengths.
    """

    source: str = "text"
    train_files: list = dataclasses.field(default_factory=list)
    eval_files: list = dataclasses.field(default_factory=list)
    format: str = "auto"
    spm: str | None = None
    vocab_size: int = 2000
    sequence_length: int = 128
    max_predictions: int = 20
    masking_probability: float = 0.15
    max_ngram: int = 3
    dynamic_masking: bool = True
    short_seq_prob: float = 0.1
    eval_fraction: float = 0.05
    shuffle_buffer: int = 10000
    bucketing: str = "auto"
    bucket_boundaries: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class PretrainConfig:
    """The whole pretraining config (sections as above)."""

    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: PretrainDataConfig = dataclasses.field(default_factory=PretrainDataConfig)
    optimizer: OptimizerConfig = dataclasses.field(default_factory=OptimizerConfig)
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)
    distribution: DistributionConfig = dataclasses.field(default_factory=DistributionConfig)
    distill: DistillConfig = dataclasses.field(default_factory=DistillConfig)

    def validate(self) -> "PretrainConfig":
        """Checks values; raises `ConfigError` naming the key."""
        check_common(self)
        check_distill(self.distill)
        d = self.data
        choice("data.source", d.source, PRETRAIN_SOURCES)
        choice("data.format", d.format, CORPUS_FORMATS)
        check_bucketing("data", d.bucketing, d.bucket_boundaries, d.sequence_length)
        if not d.train_files:
            raise ConfigError("data.train_files is empty: give corpus files (source text) or TFRecord files.")
        check_files("data.train_files", d.train_files, globs=d.source == "records")
        check_files("data.eval_files", d.eval_files, globs=d.source == "records")
        if d.spm is not None and not os.path.exists(d.spm):
            raise ConfigError(f"data.spm: no such file or directory: {d.spm!r}")
        if d.source == "records" and d.spm is None and not os.path.isdir(self.model.init):
            raise ConfigError("data.spm is required with data.source=records (the final model dir needs a vocabulary).")
        positive("data.sequence_length", d.sequence_length)
        positive("data.max_predictions", d.max_predictions)
        positive("data.vocab_size", d.vocab_size)
        positive("data.max_ngram", d.max_ngram)
        if not 0.0 < d.masking_probability < 1.0:
            raise ConfigError(f"data.masking_probability must be in (0, 1). Received: {d.masking_probability}")
        if not 0.0 <= d.eval_fraction < 1.0:
            raise ConfigError(f"data.eval_fraction must be in [0, 1). Received: {d.eval_fraction}")
        positive("training.train_steps", self.training.train_steps)
        return self
