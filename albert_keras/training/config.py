"""Training configs: dataclasses loaded from YAML with `--set` overrides.

A config file is a YAML mapping of sections (`model`, `data`, `optimizer`,
`training`, `distribution`, and `task` for fine-tuning). Every key is
checked: an unknown key, a wrong type or a bad value fails at start-up with
a message naming the key, e.g. ``training.global_batch_size``.

Overrides use dotted keys: ``--set training.train_steps=200``; the value is
parsed as YAML (so ``1e-3``, ``true``, ``[a.txt, b.txt]`` work).
"""

import dataclasses
import os
import typing

import yaml

STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
OPTIMIZERS = ("lamb", "adamw")
TASKS = ("classification", "regression", "token_classification", "squad", "multiple_choice")
PRETRAIN_SOURCES = ("text", "records")


class ConfigError(ValueError):
    """A config key is unknown, has the wrong type, or has a bad value."""


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
        spm: a vocabulary dir or `spiece.model`; None (text only) trains
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
    """

    source: str = "text"
    train_files: list = dataclasses.field(default_factory=list)
    eval_files: list = dataclasses.field(default_factory=list)
    format: str = "auto"
    spm: typing.Optional[str] = None
    vocab_size: int = 2000
    sequence_length: int = 128
    max_predictions: int = 20
    masking_probability: float = 0.15
    max_ngram: int = 3
    dynamic_masking: bool = True
    short_seq_prob: float = 0.1
    eval_fraction: float = 0.05
    shuffle_buffer: int = 10000


@dataclasses.dataclass
class FinetuneDataConfig:
    """Fine-tuning data.

    Attributes:
        train_file: CSV/TSV/JSONL (classification, regression, multiple
            choice), CoNLL (token classification) or SQuAD JSON.
        eval_file: the held-out file in the same format (optional).
        spm: a vocabulary dir or `spiece.model`; None uses the model dir's.
        sequence_length: T.
        labels: class/tag names in id order; empty collects them from the
            training file (sorted).
        text_field, text_b_field, label_field: column/field names.
        doc_stride: SQuAD window stride in tokens.
        max_query_length: SQuAD question tokens kept.
        max_answer_length: SQuAD longest predicted answer, in tokens.
    """

    train_file: str = ""
    eval_file: typing.Optional[str] = None
    spm: typing.Optional[str] = None
    sequence_length: int = 128
    labels: list = dataclasses.field(default_factory=list)
    text_field: str = "text"
    text_b_field: str = "text_b"
    label_field: str = "label"
    doc_stride: int = 64
    max_query_length: int = 32
    max_answer_length: int = 30


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
    decay_steps: typing.Optional[int] = None
    weight_decay: float = 0.01
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-6
    global_clipnorm: typing.Optional[float] = 1.0


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
    tpu: typing.Optional[str] = None


@dataclasses.dataclass
class DistillConfig:
    """Knowledge distillation from a teacher (`albert distill`; off when `teacher` is null).

    Attributes:
        teacher: a pretrainer model directory. The student uses its
            vocabulary (its spiece.model).
        temperature: T of the soft targets.
        kd_weight, mlm_weight, sop_weight, hidden_weight: the loss weights of
            the soft-target KL, the hard MLM and SOP losses and the
            cross-layer hidden-state MSE.
        layer_map: null for student layer i → teacher layer
            `round((i + 1) * L_t / L_s) - 1`, or an explicit
            `{student_layer: teacher_layer}` mapping (0-based).
        attention_weight: weight of the KL between the teacher's and the
            student's last-layer attention distributions (MiniLM); 0 is off.
            Needs equal `num_heads` and `num_inner_repetitions: 1`.
        init_from_teacher: groups of student weights copied from the
            teacher before training (DistilBERT-style), from
            "embeddings", "embeddings_projection", "mlm_output"; each needs
            equal shapes (see `albert_keras.distillation.init_from_teacher`).
    """

    teacher: typing.Optional[str] = None
    temperature: float = 2.0
    kd_weight: float = 1.0
    mlm_weight: float = 1.0
    sop_weight: float = 1.0
    hidden_weight: float = 1.0
    layer_map: typing.Optional[dict] = None
    attention_weight: float = 0.0
    init_from_teacher: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class PretrainConfig:
    """The whole pretraining config (sections as above)."""

    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    data: PretrainDataConfig = dataclasses.field(default_factory=PretrainDataConfig)
    optimizer: OptimizerConfig = dataclasses.field(default_factory=OptimizerConfig)
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)
    distribution: DistributionConfig = dataclasses.field(default_factory=DistributionConfig)
    distill: DistillConfig = dataclasses.field(default_factory=DistillConfig)

    def validate(self):
        """Checks values; raises `ConfigError` naming the key."""
        _check_common(self)
        if self.distill.teacher is not None and not os.path.isfile(os.path.join(self.distill.teacher, "config.json")):
            raise ConfigError(f"distill.teacher {self.distill.teacher!r} is not a model directory (no config.json).")
        if self.distill.temperature <= 0:
            raise ConfigError(f"distill.temperature must be > 0. Received: {self.distill.temperature}")
        d = self.data
        _choice("data.source", d.source, PRETRAIN_SOURCES)
        if not d.train_files:
            raise ConfigError("data.train_files is empty: give corpus files (source text) or TFRecord files.")
        _check_files("data.train_files", d.train_files, globs=d.source == "records")
        _check_files("data.eval_files", d.eval_files, globs=d.source == "records")
        if d.spm is not None and not os.path.exists(d.spm):
            raise ConfigError(f"data.spm: no such file or directory: {d.spm!r}")
        if d.source == "records" and d.spm is None and not os.path.isdir(self.model.init):
            raise ConfigError("data.spm is required with data.source=records (the final model dir needs spiece.model).")
        _positive("data.sequence_length", d.sequence_length)
        _positive("data.max_predictions", d.max_predictions)
        _positive("data.vocab_size", d.vocab_size)
        _positive("data.max_ngram", d.max_ngram)
        if not 0.0 < d.masking_probability < 1.0:
            raise ConfigError(f"data.masking_probability must be in (0, 1). Received: {d.masking_probability}")
        if not 0.0 <= d.eval_fraction < 1.0:
            raise ConfigError(f"data.eval_fraction must be in [0, 1). Received: {d.eval_fraction}")
        _positive("training.train_steps", self.training.train_steps)
        return self


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

    def validate(self):
        """Checks values; raises `ConfigError` naming the key."""
        _check_common(self)
        _choice("task.name", self.task.name, TASKS)
        if not self.data.train_file:
            raise ConfigError("data.train_file is empty: give the training file.")
        _check_files("data.train_file", [self.data.train_file])
        if self.data.eval_file:
            _check_files("data.eval_file", [self.data.eval_file])
        if self.data.spm is not None and not os.path.exists(self.data.spm):
            raise ConfigError(f"data.spm: no such file or directory: {self.data.spm!r}")
        if self.data.spm is None and not os.path.isfile(os.path.join(self.model.init, "spiece.model")):
            raise ConfigError(
                f"data.spm is not set and model.init {self.model.init!r} is not a model dir with spiece.model."
            )
        _positive("data.sequence_length", self.data.sequence_length)
        if self.training.train_steps < 0:
            raise ConfigError(f"training.train_steps must be >= 0. Received: {self.training.train_steps}")
        if self.training.train_steps == 0:
            _positive("training.epochs", self.training.epochs)
        return self


def _check_common(config):
    _choice("optimizer.name", config.optimizer.name, OPTIMIZERS)
    _choice("training.precision", config.training.precision, PRECISIONS)
    _choice("distribution.strategy", config.distribution.strategy, STRATEGIES)
    if config.distribution.strategy == "tpu" and not config.distribution.tpu:
        raise ConfigError("distribution.tpu must name the TPU (or 'local') when distribution.strategy is tpu.")
    t = config.training
    _positive("training.global_batch_size", t.global_batch_size)
    _positive("training.gradient_accumulation_steps", t.gradient_accumulation_steps)
    _positive("training.keep_checkpoints", t.keep_checkpoints)
    if t.global_batch_size % t.gradient_accumulation_steps:
        raise ConfigError(
            f"training.global_batch_size={t.global_batch_size} is not divisible by "
            f"training.gradient_accumulation_steps={t.gradient_accumulation_steps}."
        )
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


def _choice(key, value, choices):
    if value not in choices:
        raise ConfigError(f"{key} must be one of {list(choices)}. Received: {value!r}")


def _positive(key, value):
    if not isinstance(value, int) or value < 1:
        raise ConfigError(f"{key} must be a positive integer. Received: {value!r}")


def _check_files(key, paths, globs=False):
    for path in paths:
        if globs:
            import tensorflow as tf

            try:
                found = tf.io.gfile.glob(path)
            except tf.errors.OpError as e:
                raise ConfigError(f"{key}: cannot list {path!r}: {e.message}") from e
        else:
            found = [path] if os.path.isfile(path) else []
        if not found:
            raise ConfigError(f"{key}: no such file: {path!r}")


# === Loading ===


def from_dict(cls, data, prefix="", base=None):
    """Builds dataclass `cls` from a nested dict, checking keys and types.

    Keys not in `data` keep their defaults: those of `base` (for a section,
    the parent's default section, e.g. fine-tuning's AdamW optimizer) or of
    `cls`.

    Args:
        cls: a config dataclass.
        data: a dict (or None for the defaults).
        prefix: the dotted path of `data`, for messages.
        base: the instance whose values are the defaults (default `cls()`).

    Returns:
        A `cls` instance (not yet validated: call `.validate()`).
    """
    base = cls() if base is None else base
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix or 'config'} must be a mapping. Received: {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(data) - set(fields))
    if unknown:
        key = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise ConfigError(f"Unknown config key {key!r}. Known keys here: {', '.join(sorted(fields))}")
    kwargs = {}
    for name, value in data.items():
        key = f"{prefix}.{name}" if prefix else name
        if dataclasses.is_dataclass(hints[name]):
            kwargs[name] = from_dict(hints[name], value, key, base=getattr(base, name))
        else:
            kwargs[name] = _convert(hints[name], value, key)
    return dataclasses.replace(base, **kwargs)


def _convert(hint, value, key):
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, key)
    origin = typing.get_origin(hint)
    if origin is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, key)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false. Received: {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer. Received: {value!r}")
        return value
    if hint is float:
        if isinstance(value, str):  # YAML 1.1 reads "1e-3" (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number. Received: {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string. Received: {value!r}")
        return value
    if hint is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be a list. Received: {value!r}")
        return list(value)
    if hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping. Received: {value!r}")
        return dict(value)
    return value


def apply_overrides(data, overrides):
    """Applies `key.sub=value` strings to a nested dict (in place).

    Args:
        data: the config dict from YAML.
        overrides: strings like ``"training.train_steps=200"``; values are
            parsed as YAML.

    Returns:
        `data`.
    """
    for item in overrides or ():
        if "=" not in item:
            raise ConfigError(f"--set needs key=value. Received: {item!r}")
        key, raw = item.split("=", 1)
        parts = key.strip().split(".")
        if not all(parts):
            raise ConfigError(f"--set: bad key {key!r}")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as e:
            raise ConfigError(f"--set {key}: value {raw!r} is not valid YAML ({e})") from e
        node = data
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {key}: {part!r} is not a section")
            node = child
        node[parts[-1]] = value
    return data


def load_config(cls, path=None, overrides=None):
    """Reads a YAML config, applies overrides, builds and validates `cls`.

    Args:
        cls: `PretrainConfig` or `FinetuneConfig`.
        path: a YAML file (None: defaults only).
        overrides: `--set` strings.

    Returns:
        A validated `cls` instance.
    """
    data = {}
    if path is not None:
        if not os.path.isfile(path):
            raise ConfigError(f"Config file not found: {path!r}")
        with open(path) as f:
            try:
                data = yaml.safe_load(f) or {}
            except yaml.YAMLError as e:
                raise ConfigError(f"{path}: invalid YAML ({e})") from e
    apply_overrides(data, overrides)
    return from_dict(cls, data).validate()


def coerce(cls, config):
    """Returns a validated `cls` from a `cls` instance or a nested dict."""
    if isinstance(config, cls):
        return config.validate()
    if isinstance(config, dict):
        return from_dict(cls, config).validate()
    raise TypeError(f"Expected a {cls.__name__} or a dict. Received: {type(config).__name__}")


def to_dict(config):
    """The config as a plain nested dict (for config.json in the run dir)."""
    return dataclasses.asdict(config)
