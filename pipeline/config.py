"""The pipeline config: typed sections on albert_keras's config loader.

A pipeline config is a YAML file of sections (``configs/pipeline/*.yaml``),
read by `load_config` with the same engine as the training configs
(`albert_keras.config.loader`): an unknown key, a wrong type or a bad value
fails with a `ConfigError` naming the dotted key and the file, and every
input path is resolved and checked, so a bad input fails in a second, not
minutes into a run. No TFX import happens here.

    pipeline:   name, kind (pretraining | finetuning), root, serving_dir,
                enable_cache, image (Kubeflow v2 / Vertex only)
    ingest:     inputs (files, dirs or globs), format, label (none | file |
                field), text_field, label_field, eval_buckets, total_buckets
    schema:     file (a curated schema.pbtxt for ImportSchemaGen)
    vocabulary: kind (sentencepiece | wordpiece: what VocabularyGen trains),
                import_dir (skip training: a vocab or model dir of either
                kind), vocab_size, seed, character_coverage
    examples:   masking (static | dynamic), sequence_length, max_predictions,
                dupe_factor, masked_lm_prob, short_seq_prob, max_ngram,
                texts_per_document (raw texts packed into a document), seed
    trainer:    train_steps, eval_steps, strategy, tpu, runner (local: the
                Trainer runs in its component's process or container;
                vertex: a Vertex AI Training CustomJob, described by
                vertex: project, region, image, machine_type,
                accelerator_type, accelerator_count, replica_count,
                tpu_topology, service_account), distill_from
                (pretraining: a teacher pretrainer model dir; the Trainer
                distils the student `albert.model` from it, with its
                vocabulary), and albert: the albert_keras training config
                itself (a `PretrainConfig` or a `FinetuneConfig`, by kind)
                passed to `run_pretraining`/`run_finetuning`; the pipeline
                sets its `data`, `distribution`, `training.run_dir`,
                `training.train_steps` (and `distill.teacher`,
                `model.init` of fine-tuning), so those stay unset
    evaluator:  pretraining: min_mlm_accuracy, eval_batches;
                finetuning: min_accuracy, max_accuracy_drop
    finetuning: base_model_dir, labels, sequence_length (finetuning only)
    beam:       args (a list of Beam pipeline args; none gives the
                multi-processing DirectRunner with 2 workers; with
                --runner=DataflowRunner they must ship this package and
                tensorflow_text to the workers: --sdk_container_image, or
                --setup_file, or --extra_package with --requirements_file)

Relative paths are resolved against the current directory. `dump_config`
writes the resolved config (what `albert pipeline config FILE` prints);
loading it gives an equal config.
"""

import dataclasses
import glob
import json
import os
from typing import Any

import yaml

from albert_keras import export_layout
from albert_keras.config import (
    INPUT_FORMATS,
    STRATEGIES,
    ConfigError,
    DistillConfig,
    FinetuneConfig,
    PretrainConfig,
    apply_overrides,
    from_dict,
    to_dict,
)
from albert_keras.config.common import check_common, choice
from albert_keras.config.loader import describe_source, parse_override, read_yaml, validated
from albert_keras.tokenizer import loading

KINDS = ("pretraining", "finetuning")
LABEL_SOURCES = ("none", "file", "field")
MASKINGS = ("static", "dynamic")
VOCABULARY_KINDS = loading.KINDS  # ("sentencepiece", "wordpiece")
DEFAULT_BEAM_ARGS = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
RUNNERS = ("local", "vertex")  # where the Trainer trains: its own process, or a Vertex AI Training CustomJob
# Vertex AI MachineSpec accelerator types (the REST enum names).
VERTEX_GPUS = ("NVIDIA_TESLA_T4", "NVIDIA_TESLA_V100", "NVIDIA_TESLA_A100", "NVIDIA_A100_80GB", "NVIDIA_L4",
               "NVIDIA_H100_80GB", "NVIDIA_H100_MEGA_80GB", "NVIDIA_H200_141GB")
VERTEX_TPUS = ("TPU_V2", "TPU_V3", "TPU_V4_POD", "TPU_V5_LITEPOD")
# Beam args that give Dataflow workers this package and tensorflow_text.
DATAFLOW_PACKAGING_ARGS = ("--sdk_container_image", "--setup_file", "--extra_package")
# Sections of `trainer.albert` that the pipeline fills in itself (left out of `dump_config`).
PIPELINE_OWNED_SECTIONS = ("data", "distribution")
PIPELINE_OWNED_TRAINING_KEYS = ("run_dir", "train_steps")

__all__ = [
    "ConfigError", "FinetuningPipelineConfig", "PipelineConfig", "PretrainingPipelineConfig",
    "dump_config", "load_config", "resolve_inputs",
]


@dataclasses.dataclass
class PipelineSection:
    """`pipeline:` what runs and where its outputs go."""

    name: str | None = None
    kind: str | None = None
    root: str | None = None
    serving_dir: str | None = None
    enable_cache: bool = True
    image: str = "albert-keras:latest"


@dataclasses.dataclass
class IngestConfig:
    """`ingest:` the text files and how TextExampleGen reads and splits them.

    `input_files` is derived (the sorted files `inputs` resolves to).
    """

    inputs: list[str] = dataclasses.field(default_factory=list)
    format: str = "auto"
    label: str = "none"
    text_field: str = "text"
    label_field: str = "label"
    eval_buckets: int = 1
    total_buckets: int = 10
    input_files: list = dataclasses.field(default_factory=list, init=False)


@dataclasses.dataclass
class SchemaConfig:
    """`schema:` the curated schema of the raw examples."""

    file: str | None = None


@dataclasses.dataclass
class VocabularyConfig:
    """`vocabulary:` the vocabulary (trained, or imported from `import_dir`).

    `kind` is what VocabularyGen trains: "sentencepiece" (spiece.model) or
    "wordpiece" (a BERT vocab.txt). An imported dir's kind follows its files.
    """

    kind: str = loading.SENTENCEPIECE
    import_dir: str | None = None
    vocab_size: int = 1000
    seed: int = 0
    character_coverage: float = 0.9995


@dataclasses.dataclass
class ExamplesConfig:
    """`examples:` what PretrainingExamplesGen writes (pretraining)."""

    masking: str = "static"
    sequence_length: int = 64
    max_predictions: int = 10
    dupe_factor: int = 2
    masked_lm_prob: float = 0.15
    short_seq_prob: float = 0.1
    max_ngram: int = 3
    texts_per_document: int = 1
    seed: int = 12345


@dataclasses.dataclass
class VertexTrainingConfig:
    """`trainer.vertex:` the Vertex AI Training CustomJob of `trainer.runner: vertex`.

    Worker pool 0 is the chief (one replica); with `replica_count` N > 1 a
    second pool holds the other N - 1 workers (MultiWorkerMirroredStrategy
    reads the TF_CONFIG Vertex sets). A TPU accelerator means one TPU VM.
    `image` defaults to `pipeline.image`.
    """

    project: str | None = None
    region: str = "us-central1"
    image: str | None = None
    machine_type: str = "n1-standard-8"
    accelerator_type: str | None = None
    accelerator_count: int = 0
    replica_count: int = 1
    tpu_topology: str | None = None
    service_account: str | None = None


@dataclasses.dataclass
class TrainerConfig:
    """`trainer:` the TFX Trainer's steps, distribution and runner (`albert`: in the subclasses)."""

    train_steps: int = 100
    eval_steps: int = 0
    strategy: str = "default"
    tpu: str | None = None
    distill_from: str | None = None
    runner: str = "local"
    vertex: VertexTrainingConfig = dataclasses.field(default_factory=VertexTrainingConfig)


@dataclasses.dataclass
class PretrainTrainerConfig(TrainerConfig):
    """`trainer:` of a pretraining pipeline; `albert` is the `PretrainConfig` of the run."""

    albert: PretrainConfig = dataclasses.field(default_factory=PretrainConfig)


@dataclasses.dataclass
class FinetuneTrainerConfig(TrainerConfig):
    """`trainer:` of a fine-tuning pipeline; `albert` is the `FinetuneConfig` of the run."""

    albert: FinetuneConfig = dataclasses.field(default_factory=FinetuneConfig)


@dataclasses.dataclass
class EvaluatorConfig:
    """`evaluator:` the blessing thresholds (MlmEvaluator or TFMA)."""

    min_mlm_accuracy: float = 0.0
    eval_batches: int = 0
    min_accuracy: float = 0.0
    max_accuracy_drop: float = 0.05


@dataclasses.dataclass
class FinetuningConfig:
    """`finetuning:` the base model and the classes (fine-tuning)."""

    base_model_dir: str | None = None
    labels: list[str] = dataclasses.field(default_factory=list)
    sequence_length: int = 64


@dataclasses.dataclass
class BeamConfig:
    """`beam:` Beam pipeline args (None: `DEFAULT_BEAM_ARGS`)."""

    args: list[str] | None = None


@dataclasses.dataclass
class PipelineConfig:
    """The sections every pipeline config has; use a kind's subclass."""

    pipeline: PipelineSection = dataclasses.field(default_factory=PipelineSection)
    ingest: IngestConfig = dataclasses.field(default_factory=IngestConfig)
    schema: SchemaConfig = dataclasses.field(default_factory=SchemaConfig)
    vocabulary: VocabularyConfig = dataclasses.field(default_factory=VocabularyConfig)
    examples: ExamplesConfig = dataclasses.field(default_factory=ExamplesConfig)
    trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)
    evaluator: EvaluatorConfig = dataclasses.field(default_factory=EvaluatorConfig)
    finetuning: FinetuningConfig = dataclasses.field(default_factory=FinetuningConfig)
    beam: BeamConfig = dataclasses.field(default_factory=BeamConfig)

    KIND = None

    def validate(self) -> "PipelineConfig":
        """Checks values and inputs, makes paths absolute; raises `ConfigError` naming the key."""
        p = self.pipeline
        for key in ("name", "kind", "root", "serving_dir"):
            _require(f"pipeline.{key}", getattr(p, key))
        choice("pipeline.kind", p.kind, KINDS)
        if p.kind != self.KIND:
            raise ConfigError(f"`pipeline.kind` is {p.kind!r} but this is a {type(self).__name__}")
        p.root, p.serving_dir = _abspath(p.root), _abspath(p.serving_dir)

        ingest = self.ingest
        choice("ingest.format", ingest.format, INPUT_FORMATS)
        choice("ingest.label", ingest.label, LABEL_SOURCES)
        _at_least("ingest.eval_buckets", ingest.eval_buckets, 1)
        if ingest.total_buckets <= ingest.eval_buckets:
            raise ConfigError(
                f"`ingest.total_buckets` ({ingest.total_buckets}) must exceed `ingest.eval_buckets` "
                f"({ingest.eval_buckets}) so both splits get examples"
            )
        ingest.input_files = resolve_inputs(ingest.inputs)

        schema = _require("schema.file", self.schema.file)
        self.schema.file = _abspath(schema)
        if "://" not in schema and not os.path.isfile(self.schema.file):
            raise ConfigError(f"`schema.file` not found: {schema!r}")

        t = self.trainer
        _at_least("trainer.train_steps", t.train_steps, 1)
        _at_least("trainer.eval_steps", t.eval_steps, 0)
        choice("trainer.strategy", t.strategy, STRATEGIES)
        if t.strategy == "tpu" and not t.tpu:
            raise ConfigError("`trainer.tpu` must name the TPU (or 'local') with strategy tpu")
        self._check_albert()
        self._check_kind()
        _check_runner(self)

        if self.beam.args is None:
            self.beam.args = list(DEFAULT_BEAM_ARGS)
        _check_beam_args(self.beam.args)
        return self

    def _check_albert(self) -> None:
        """`trainer.albert` holds only what the pipeline does not set, with good values."""
        albert = self.trainer.albert
        defaults = type(albert)()
        for section in PIPELINE_OWNED_SECTIONS:
            if getattr(albert, section) != getattr(defaults, section):
                raise ConfigError(
                    f"`trainer.albert.{section}` is set by the pipeline (the data comes from the ExampleGen; "
                    f"the distribution from `trainer.strategy`/`trainer.tpu`): leave it out"
                )
        for key in PIPELINE_OWNED_TRAINING_KEYS:
            if getattr(albert.training, key) != getattr(defaults.training, key):
                raise ConfigError(
                    f"`trainer.albert.training.{key}` is set by the pipeline "
                    f"(use `trainer.train_steps`; the run dir is the Trainer's ModelRun)"
                )
        try:
            check_common(albert)
        except ConfigError as e:
            raise ConfigError(f"trainer.albert: {e}") from e

    def _check_kind(self) -> None:
        raise NotImplementedError

    def trainer_albert_config(self) -> dict:
        """`trainer.albert` as the dict the Trainer's custom_config carries (the pipeline-owned sections left out)."""
        return {k: v for k, v in to_dict(self.trainer.albert).items() if k not in PIPELINE_OWNED_SECTIONS}


@dataclasses.dataclass
class PretrainingPipelineConfig(PipelineConfig):
    """A `kind: pretraining` pipeline config."""

    trainer: PretrainTrainerConfig = dataclasses.field(default_factory=PretrainTrainerConfig)

    KIND = "pretraining"

    def _check_kind(self) -> None:
        v, e, t = self.vocabulary, self.examples, self.trainer
        distill = t.albert.distill
        if distill.teacher is not None:
            raise ConfigError("`trainer.albert.distill.teacher` is set by the pipeline (use `trainer.distill_from`)")
        if distill != DistillConfig() and t.distill_from is None:
            raise ConfigError("`trainer.albert.distill` needs `trainer.distill_from` (the teacher)")
        if distill.temperature <= 0:
            raise ConfigError(f"`trainer.albert.distill.temperature` must be > 0. Received: {distill.temperature}")
        self._check_distill_from()
        if v.import_dir is not None:
            v.import_dir = _abspath(v.import_dir)
            if not loading.has_vocabulary(v.import_dir):
                raise ConfigError(
                    f"`vocabulary.import_dir` {v.import_dir!r} holds no vocabulary (spiece.model or vocab.txt)"
                )
        choice("vocabulary.kind", v.kind, VOCABULARY_KINDS)
        _at_least("vocabulary.vocab_size", v.vocab_size, 6)
        choice("examples.masking", e.masking, MASKINGS)
        _at_least("examples.sequence_length", e.sequence_length, 5)
        _at_least("examples.max_predictions", e.max_predictions, 1)
        _at_least("examples.dupe_factor", e.dupe_factor, 1)
        _at_least("examples.max_ngram", e.max_ngram, 1)
        _at_least("examples.texts_per_document", e.texts_per_document, 1)
        if e.max_predictions > e.sequence_length:
            raise ConfigError(
                f"`examples.max_predictions` must be <= `examples.sequence_length`. "
                f"Received: max_predictions={e.max_predictions}, sequence_length={e.sequence_length}"
            )
        for key in ("masked_lm_prob", "short_seq_prob"):
            if not 0.0 <= getattr(e, key) <= 1.0:
                raise ConfigError(f"`examples.{key}` must be in [0, 1]. Received: {getattr(e, key)!r}")
        if self.ingest.label != "none":
            raise ConfigError(
                f"`ingest.label` must be none for a pretraining pipeline. Received: {self.ingest.label!r}"
            )

    def _check_distill_from(self) -> None:
        """A teacher model dir: the student gets its vocabulary (imported, or an identical one)."""
        t, v = self.trainer, self.vocabulary
        if t.distill_from is None:
            return
        teacher = t.distill_from = _abspath(t.distill_from)
        if not os.path.isfile(os.path.join(teacher, "config.json")):
            raise ConfigError(f"`trainer.distill_from` {teacher!r} is not a pretrainer model dir (no config.json)")
        if not loading.has_vocabulary(teacher):
            raise ConfigError(
                f"`trainer.distill_from` {teacher!r} is not a pretrainer model dir (no spiece.model or vocab.txt)"
            )
        with open(os.path.join(teacher, "config.json"), encoding="utf-8") as f:
            saved = json.load(f)
        kind = saved.get("class_name", saved.get("task", ""))  # model-dir format 2 (format 1: "task")
        if kind != "AlbertPretrainer":
            raise ConfigError(
                f"`trainer.distill_from` {teacher!r} holds a {kind}; the teacher must be an AlbertPretrainer"
            )
        if v.import_dir is None:
            v.import_dir = teacher
            return
        teacher_vocab = loading.vocab_file(teacher)
        student_dir = _abspath(v.import_dir)
        student_vocab = loading.vocab_file(student_dir) if loading.has_vocabulary(student_dir) else None
        same = False
        if student_vocab is not None:
            with open(teacher_vocab, "rb") as a, open(student_vocab, "rb") as b:
                same = a.read() == b.read()
        if not same:
            raise ConfigError(
                f"`vocabulary.import_dir` {v.import_dir!r} differs from the teacher's vocabulary "
                f"({teacher_vocab}); a distilled student must share it (leave import_dir unset)"
            )


@dataclasses.dataclass
class FinetuningPipelineConfig(PipelineConfig):
    """A `kind: finetuning` pipeline config."""

    trainer: FinetuneTrainerConfig = dataclasses.field(default_factory=FinetuneTrainerConfig)

    KIND = "finetuning"

    def _check_kind(self) -> None:
        albert, f = self.trainer.albert, self.finetuning
        if self.trainer.distill_from is not None:
            raise ConfigError("`trainer.distill_from` is for pretraining pipelines only")
        if albert.model.init != FinetuneConfig().model.init:
            raise ConfigError("`trainer.albert.model.init` is set by the pipeline (use `finetuning.base_model_dir`)")
        if albert.task.name != "classification":
            raise ConfigError(
                f"`trainer.albert.task.name` must be classification in a fine-tuning pipeline. "
                f"Received: {albert.task.name!r}"
            )
        base = _require("finetuning.base_model_dir", f.base_model_dir)
        f.base_model_dir = _base_model(base)
        if not f.labels or not all(f.labels):
            raise ConfigError(
                f"`finetuning.labels` must list the class names (non-empty strings). Received: {f.labels}"
            )
        if len(set(f.labels)) != len(f.labels):
            raise ConfigError(f"`finetuning.labels` has duplicates. Received: {f.labels}")
        if self.ingest.label == "none":
            raise ConfigError("`ingest.label` must be file or field for a finetuning pipeline. Received: 'none'")
        _at_least("finetuning.sequence_length", f.sequence_length, 3)
        ev = self.evaluator
        for key in ("min_accuracy", "max_accuracy_drop"):
            if not 0.0 <= getattr(ev, key) <= 1.0:
                raise ConfigError(f"`evaluator.{key}` must be in [0, 1]. Received: {getattr(ev, key)!r}")


def _base_model(base: str) -> str:
    """`finetuning.base_model_dir` as an absolute model dir or SavedModel export.

    A serving dir (numeric versions, e.g. a pretraining pipeline's
    `pipeline.serving_dir`) is pinned to its newest version: each push is a
    new path, so the pipeline's cache never reuses a run on an older model.
    """
    path = _abspath(base)
    path = export_layout.newest_version(path) or path
    if export_layout.is_saved_model(path):
        if not os.path.isfile(os.path.join(path, export_layout.KERAS_FILE)):
            raise ConfigError(
                f"`finetuning.base_model_dir` {base!r}: the SavedModel {path!r} has no {export_layout.KERAS_FILE} "
                "(export it with `albert export`, which writes the Keras model next to the signatures)"
            )
        return path
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise ConfigError(
            f"`finetuning.base_model_dir` must be a model dir (config.json), a SavedModel export or a serving "
            f"dir of numeric versions. Received: {base!r}"
        )
    if not loading.has_vocabulary(path):
        raise ConfigError(f"`finetuning.base_model_dir` {base!r} holds no vocabulary (spiece.model or vocab.txt)")
    return path


def _config_class(data: dict, overrides) -> type:
    """The config class of `pipeline.kind` (the file's, or an override's)."""
    section = data.get("pipeline")
    kind = section.get("kind") if isinstance(section, dict) else None
    if isinstance(overrides, dict):
        kind = (overrides.get("pipeline") or {}).get("kind", kind)
    else:
        for item in overrides or ():
            key, value = parse_override(item)
            if key == "pipeline.kind":
                kind = value
    return FinetuningPipelineConfig if kind == "finetuning" else PretrainingPipelineConfig


def load_config(path: str, overrides: list[str] | dict[str, Any] | None = None) -> PipelineConfig:
    """Reads, completes and checks a pipeline config file.

    Args:
        path: the YAML file.
        overrides: ``--set`` strings (``"trainer.train_steps=5"``, values
            parsed as YAML) or a nested dict merged over the file.

    Returns:
        A validated `PretrainingPipelineConfig` or `FinetuningPipelineConfig`
        (by `pipeline.kind`): every key present, paths made absolute and
        `ingest.input_files` the sorted resolved input files.

    Raises:
        ConfigError: on any bad key, value or input path, naming the key and the file.
    """
    data = read_yaml(path)
    cls = _config_class(data, overrides)
    config = apply_overrides(from_dict(cls, data, source=path), overrides)
    return validated(config, describe_source(path, overrides))


def dump_config(config: PipelineConfig) -> str:
    """The config as YAML (`trainer.albert`'s pipeline-owned keys left out); `load_config` reads it back equal."""
    data = to_dict(config)
    for section in PIPELINE_OWNED_SECTIONS:
        data["trainer"]["albert"].pop(section)
    for key in PIPELINE_OWNED_TRAINING_KEYS:
        data["trainer"]["albert"]["training"].pop(key)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _check_runner(config: PipelineConfig) -> None:
    """`trainer.runner` and, for vertex, `trainer.vertex`: a CustomJob the strategy can use."""
    t = config.trainer
    v = t.vertex
    choice("trainer.runner", t.runner, RUNNERS)
    if t.runner == "local":
        if v != VertexTrainingConfig():
            raise ConfigError("`trainer.vertex` is set but `trainer.runner` is local: set `trainer.runner: vertex`")
        return
    _require("trainer.vertex.project", v.project)
    _require("trainer.vertex.region", v.region)
    _require("trainer.vertex.machine_type", v.machine_type)
    v.image = v.image or config.pipeline.image
    if "://" not in config.pipeline.root:
        raise ConfigError(
            f"`pipeline.root` must be a gs:// path with `trainer.runner: vertex` (the Vertex workers read the "
            f"examples and write the model there). Received: {config.pipeline.root!r}"
        )
    _at_least("trainer.vertex.replica_count", v.replica_count, 1)
    _at_least("trainer.vertex.accelerator_count", v.accelerator_count, 0)
    if v.accelerator_type is None:
        if v.accelerator_count:
            raise ConfigError(
                f"`trainer.vertex.accelerator_count` is {v.accelerator_count} but `trainer.vertex.accelerator_type` "
                f"is unset: name the accelerator (one of {list(VERTEX_GPUS + VERTEX_TPUS)})"
            )
    else:
        choice("trainer.vertex.accelerator_type", v.accelerator_type, VERTEX_GPUS + VERTEX_TPUS)
        _at_least("trainer.vertex.accelerator_count", v.accelerator_count, 1)
    tpu = v.accelerator_type in VERTEX_TPUS
    if v.tpu_topology and not tpu:
        raise ConfigError(
            f"`trainer.vertex.tpu_topology` is for TPU accelerators. Received: accelerator_type={v.accelerator_type!r}"
        )
    if tpu:
        if v.replica_count != 1:
            raise ConfigError(f"`trainer.vertex.replica_count` must be 1 for a TPU VM. Received: {v.replica_count}")
        if t.strategy != "tpu" or t.tpu != "local":
            raise ConfigError(
                f"`trainer.strategy` must be tpu with `trainer.tpu: local` on a Vertex TPU VM. "
                f"Received: strategy={t.strategy!r}, tpu={t.tpu!r}"
            )
        return
    if t.strategy == "tpu":
        raise ConfigError(
            f"`trainer.strategy` is tpu but `trainer.vertex.accelerator_type` is {v.accelerator_type!r}: "
            f"name a TPU (one of {list(VERTEX_TPUS)})"
        )
    if v.replica_count > 1 and t.strategy not in ("multi_worker", "auto"):
        raise ConfigError(
            f"`trainer.strategy` must be multi_worker (or auto) with `trainer.vertex.replica_count` "
            f"{v.replica_count}. Received: {t.strategy!r}"
        )
    if v.replica_count == 1 and v.accelerator_count > 1 and t.strategy not in ("mirrored", "auto"):
        raise ConfigError(
            f"`trainer.strategy` must be mirrored (or auto) to use the {v.accelerator_count} GPUs of one replica. "
            f"Received: {t.strategy!r}"
        )
    training = t.albert.training
    replicas = v.replica_count * max(v.accelerator_count, 1)
    parts = replicas * training.gradient_accumulation_steps
    if training.global_batch_size % parts:
        raise ConfigError(
            f"`trainer.albert.training.global_batch_size` ({training.global_batch_size}) must be divisible by the "
            f"{replicas} replicas ({v.replica_count} x {max(v.accelerator_count, 1)}) x "
            f"{training.gradient_accumulation_steps} accumulation steps"
        )


def _beam_flags(args: list[str]) -> dict[str, str]:
    """``--key=value`` Beam args as {"--key": "value"} (a bare ``--flag``: "")."""
    flags = {}
    for arg in args:
        key, _, value = arg.partition("=")
        flags[key] = value
    return flags


def _check_beam_args(args: list[str]) -> None:
    """Dataflow workers need this package and tensorflow_text (PretrainingExamplesGen's DoFn imports them)."""
    flags = _beam_flags(args)
    if flags.get("--runner", "").lower() not in ("dataflowrunner", "dataflow"):
        return
    for key in ("--project", "--region", "--temp_location"):
        if not flags.get(key):
            raise ConfigError(f"`beam.args` runs on Dataflow and must give {key}=... Received: {args}")
    if not flags["--temp_location"].startswith("gs://"):
        raise ConfigError(f"`beam.args` --temp_location must be a gs:// path. Received: {flags['--temp_location']!r}")
    if "--extra_package" in flags and not flags.get("--requirements_file"):
        raise ConfigError(
            "`beam.args` gives --extra_package without --requirements_file: the workers would lack tensorflow_text"
        )
    if not any(flags.get(key) for key in DATAFLOW_PACKAGING_ARGS):
        raise ConfigError(
            "`beam.args` runs on Dataflow but gives its workers no way to get tensorflow_text and albert_keras: "
            "add --sdk_container_image=<the pipeline image> (or --setup_file, or --extra_package with "
            f"--requirements_file). Received: {args}"
        )


def _require(key: str, value):
    if value in (None, ""):
        raise ConfigError(f"`{key}` is required")
    return value


def _at_least(key: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise ConfigError(f"`{key}` must be >= {minimum}. Received: {value!r}")


def _abspath(path: str) -> str:
    return path if "://" in path else os.path.abspath(os.path.expanduser(path))


def resolve_inputs(inputs: list) -> list:
    """Expands files, directories and globs into a sorted list of files.

    Raises:
        ConfigError: no inputs, a path that matches nothing, a directory
            without files, or an empty file.
    """
    if not inputs:
        raise ConfigError("`ingest.inputs` is empty: list the text files, dirs or globs to ingest")
    files = []
    for item in inputs:
        if not item:
            raise ConfigError(f"`ingest.inputs` holds an empty entry. Received: {inputs!r}")
        if "://" in item:
            files.append(item)  # remote (gs://...): checked by the ingestion component
            continue
        path = _abspath(item)
        if os.path.isdir(path):
            found = sorted(
                os.path.join(path, n) for n in os.listdir(path)
                if not n.startswith(".") and os.path.isfile(os.path.join(path, n))
            )
            if not found:
                raise ConfigError(f"`ingest.inputs`: input directory {item!r} is empty (no files to ingest)")
        elif any(c in item for c in "*?["):
            found = sorted(f for f in glob.glob(path) if os.path.isfile(f))
            if not found:
                raise ConfigError(f"`ingest.inputs`: input glob {item!r} matches no files")
        elif os.path.isfile(path):
            found = [path]
        else:
            raise ConfigError(f"`ingest.inputs`: input file not found: {item!r}")
        for f in found:
            if os.path.getsize(f) == 0:
                raise ConfigError(f"`ingest.inputs`: input file {f!r} is empty")
        files.extend(found)
    return sorted(dict.fromkeys(files))
