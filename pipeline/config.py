"""Pipeline configs: YAML files checked at load time, before any TFX import.

A config is a mapping of sections; every key is checked (an unknown key, a
wrong type or a bad value raises `PipelineConfigError` naming it) and every
input path is resolved and checked, so a bad input fails in a second, not
minutes into a run:

    pipeline:   name, kind (pretraining | finetuning), root, serving_dir,
                enable_cache, image (Kubeflow v2 / Vertex only)
    ingest:     inputs (files, dirs or globs), format, label (none | file |
                field), text_field, label_field, eval_buckets, total_buckets
    schema:     file (a curated schema.pbtxt for ImportSchemaGen)
    vocabulary: import_dir (skip training: a vocab or model dir), vocab_size,
                seed, character_coverage
    examples:   masking (static | dynamic), sequence_length, max_predictions,
                dupe_factor, masked_lm_prob, short_seq_prob, max_ngram, seed
    trainer:    train_steps, eval_steps, strategy, tpu, albert (the albert_keras
                training config sections model/optimizer/training/task,
                and distill, passed to `run_pretraining`/`run_finetuning`
                via custom_config), distill_from (pretraining: a teacher
                pretrainer model dir; the Trainer distils the student
                `albert.model` from it, with its vocabulary)
    evaluator:  pretraining: min_mlm_accuracy, eval_batches;
                finetuning: min_accuracy, max_accuracy_drop
    finetuning: base_model_dir, labels, sequence_length (finetuning only)
    beam:       args (a list of Beam pipeline args; none gives the
                multi-processing DirectRunner with 2 workers)

Relative paths are resolved against the current directory.
"""

import copy
import glob
import json
import os

import yaml

KINDS = ("pretraining", "finetuning")
LABEL_SOURCES = ("none", "file", "field")
FORMATS = ("auto", "text", "lines", "fortune", "jsonl", "csv")
MASKINGS = ("static", "dynamic")
STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")
DEFAULT_BEAM_ARGS = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")

DEFAULTS = {
    "pipeline": {
        "name": None, "kind": None, "root": None, "serving_dir": None,
        "enable_cache": True, "image": "albert-keras:latest",
    },
    "ingest": {
        "inputs": [], "format": "auto", "label": "none", "text_field": "text",
        "label_field": "label", "eval_buckets": 1, "total_buckets": 10,
    },
    "schema": {"file": None},
    "vocabulary": {"import_dir": None, "vocab_size": 1000, "seed": 0, "character_coverage": 0.9995},
    "examples": {
        "masking": "static", "sequence_length": 64, "max_predictions": 10, "dupe_factor": 2,
        "masked_lm_prob": 0.15, "short_seq_prob": 0.1, "max_ngram": 3, "seed": 12345,
    },
    "trainer": {
        "train_steps": 100, "eval_steps": 0, "strategy": "default", "tpu": None, "albert": {}, "distill_from": None,
    },
    "evaluator": {"min_mlm_accuracy": 0.0, "eval_batches": 0, "min_accuracy": 0.0, "max_accuracy_drop": 0.05},
    "finetuning": {"base_model_dir": None, "labels": [], "sequence_length": 64},
    "beam": {"args": None},
}

_TYPES = {
    ("pipeline", "enable_cache"): bool,
    ("ingest", "inputs"): list, ("ingest", "eval_buckets"): int, ("ingest", "total_buckets"): int,
    ("vocabulary", "vocab_size"): int, ("vocabulary", "seed"): int, ("vocabulary", "character_coverage"): float,
    ("examples", "sequence_length"): int, ("examples", "max_predictions"): int,
    ("examples", "dupe_factor"): int, ("examples", "masked_lm_prob"): float,
    ("examples", "short_seq_prob"): float, ("examples", "max_ngram"): int, ("examples", "seed"): int,
    ("trainer", "train_steps"): int, ("trainer", "eval_steps"): int, ("trainer", "albert"): dict,
    ("evaluator", "min_mlm_accuracy"): float, ("evaluator", "eval_batches"): int,
    ("evaluator", "min_accuracy"): float, ("evaluator", "max_accuracy_drop"): float,
    ("finetuning", "labels"): list, ("finetuning", "sequence_length"): int,
}
_ALBERT_SECTIONS = ("model", "optimizer", "training", "task", "distill")
# Keys of albert's `training` section that the pipeline sets itself.
_PIPELINE_OWNED = ("run_dir", "train_steps")


class PipelineConfigError(ValueError):
    """A pipeline config key is unknown, mistyped or has a bad value, or an input is missing."""


def load_config(path, overrides=None):
    """Reads, completes and checks a pipeline config file.

    Args:
        path: the YAML file.
        overrides: optional nested dict merged over the file (tests use it).

    Returns:
        The config: a dict of sections with every key present, paths made
        absolute and `ingest.input_files` the sorted resolved input files.

    Raises:
        PipelineConfigError: on any bad key, value or input path.
    """
    if not os.path.isfile(path):
        raise PipelineConfigError(f"Pipeline config file not found: {path!r}")
    with open(path, encoding="utf-8") as f:
        try:
            data = yaml.safe_load(f) or {}
        except yaml.YAMLError as e:
            raise PipelineConfigError(f"{path}: invalid YAML: {e}") from e
    if overrides:
        data = _merge(data, overrides)
    return validate(data, source=path)


def _merge(base, extra):
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def validate(data, source="<config>"):
    """Completes `data` with the defaults and checks it (see `load_config`)."""
    if not isinstance(data, dict):
        raise PipelineConfigError(f"{source}: a pipeline config must be a mapping of sections")
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise PipelineConfigError(f"{source}: unknown section {unknown[0]!r}; known: {', '.join(DEFAULTS)}")
    config = {}
    for section, defaults in DEFAULTS.items():
        given = data.get(section) or {}
        if not isinstance(given, dict):
            raise PipelineConfigError(f"{source}: section {section!r} must be a mapping")
        bad = sorted(set(given) - set(defaults))
        if bad:
            raise PipelineConfigError(
                f"{source}: unknown key {section}.{bad[0]}; known: {', '.join(sorted(defaults))}"
            )
        merged = copy.deepcopy(defaults)
        merged.update(given)
        for key, value in merged.items():
            want = _TYPES.get((section, key))
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                merged[key] = value = float(value)
            if want is not None and value is not None and not (
                isinstance(value, want) and not (want is int and isinstance(value, bool))
            ):
                raise PipelineConfigError(
                    f"{source}: {section}.{key} must be a {want.__name__}, got {value!r}"
                )
        config[section] = merged
    _check(config, source)
    return config


def _require(config, section, key, source):
    value = config[section][key]
    if value in (None, ""):
        raise PipelineConfigError(f"{source}: {section}.{key} is required")
    return value


def _choice(config, section, key, choices, source):
    value = config[section][key]
    if value not in choices:
        raise PipelineConfigError(f"{source}: {section}.{key} must be one of {list(choices)}, got {value!r}")


def _positive(config, section, key, source, minimum=1):
    value = config[section][key]
    if value < minimum:
        raise PipelineConfigError(f"{source}: {section}.{key} must be >= {minimum}, got {value!r}")


def _abspath(path):
    return path if "://" in path else os.path.abspath(os.path.expanduser(path))


def _check(config, source):
    p = config["pipeline"]
    for key in ("name", "kind", "root", "serving_dir"):
        _require(config, "pipeline", key, source)
    _choice(config, "pipeline", "kind", KINDS, source)
    p["root"] = _abspath(p["root"])
    p["serving_dir"] = _abspath(p["serving_dir"])

    ingest = config["ingest"]
    _choice(config, "ingest", "format", FORMATS, source)
    _choice(config, "ingest", "label", LABEL_SOURCES, source)
    _positive(config, "ingest", "eval_buckets", source)
    if ingest["total_buckets"] <= ingest["eval_buckets"]:
        raise PipelineConfigError(
            f"{source}: ingest.total_buckets ({ingest['total_buckets']}) must exceed "
            f"ingest.eval_buckets ({ingest['eval_buckets']}) so both splits get examples"
        )
    ingest["input_files"] = resolve_inputs(ingest["inputs"], source)

    schema = _require(config, "schema", "file", source)
    config["schema"]["file"] = _abspath(schema)
    if "://" not in schema and not os.path.isfile(config["schema"]["file"]):
        raise PipelineConfigError(f"{source}: schema.file not found: {schema!r}")

    t = config["trainer"]
    _positive(config, "trainer", "train_steps", source)
    _positive(config, "trainer", "eval_steps", source, minimum=0)
    _choice(config, "trainer", "strategy", STRATEGIES, source)
    if t["strategy"] == "tpu" and not t["tpu"]:
        raise PipelineConfigError(f"{source}: trainer.tpu must name the TPU (or 'local') with strategy tpu")
    bad = sorted(set(t["albert"]) - set(_ALBERT_SECTIONS))
    if bad:
        raise PipelineConfigError(
            f"{source}: trainer.albert.{bad[0]} is not passed to albert_keras; give only "
            f"{list(_ALBERT_SECTIONS)} (the data section is the pipeline's examples)"
        )
    owned = sorted(set(t["albert"].get("training") or {}) & set(_PIPELINE_OWNED))
    if owned:
        raise PipelineConfigError(
            f"{source}: trainer.albert.training.{owned[0]} is set by the pipeline "
            f"(use trainer.train_steps; the run dir is the Trainer's ModelRun)"
        )

    if t["distill_from"] is not None and p["kind"] != "pretraining":
        raise PipelineConfigError(f"{source}: trainer.distill_from is for pretraining pipelines only")
    if "distill" in t["albert"] and t["distill_from"] is None:
        raise PipelineConfigError(f"{source}: trainer.albert.distill needs trainer.distill_from (the teacher)")
    if "teacher" in (t["albert"].get("distill") or {}):
        raise PipelineConfigError(
            f"{source}: trainer.albert.distill.teacher is set by the pipeline (use trainer.distill_from)"
        )

    if p["kind"] == "pretraining":
        _check_pretraining(config, source)
    else:
        _check_finetuning(config, source)

    args = config["beam"]["args"]
    if args is None:
        config["beam"]["args"] = list(DEFAULT_BEAM_ARGS)
    elif not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise PipelineConfigError(f"{source}: beam.args must be a list of strings, got {args!r}")


def _check_pretraining(config, source):
    v, e = config["vocabulary"], config["examples"]
    _check_distill_from(config, source)
    if v["import_dir"] is not None:
        v["import_dir"] = _abspath(v["import_dir"])
        if not os.path.isfile(os.path.join(v["import_dir"], "spiece.model")):
            raise PipelineConfigError(
                f"{source}: vocabulary.import_dir {v['import_dir']!r} holds no spiece.model"
            )
    _positive(config, "vocabulary", "vocab_size", source, minimum=6)
    _choice(config, "examples", "masking", MASKINGS, source)
    _positive(config, "examples", "sequence_length", source, minimum=5)
    _positive(config, "examples", "max_predictions", source)
    _positive(config, "examples", "dupe_factor", source)
    _positive(config, "examples", "max_ngram", source)
    if e["max_predictions"] > e["sequence_length"]:
        raise PipelineConfigError(f"{source}: examples.max_predictions must be <= examples.sequence_length")
    for key in ("masked_lm_prob", "short_seq_prob"):
        if not 0.0 <= e[key] <= 1.0:
            raise PipelineConfigError(f"{source}: examples.{key} must be in [0, 1], got {e[key]!r}")
    if config["ingest"]["label"] != "none":
        raise PipelineConfigError(f"{source}: ingest.label must be none for a pretraining pipeline")


def _check_distill_from(config, source):
    """A teacher model dir: the student gets its vocabulary (imported, or an identical one)."""
    t, v = config["trainer"], config["vocabulary"]
    if t["distill_from"] is None:
        return
    teacher = t["distill_from"] = _abspath(t["distill_from"])
    for name in ("config.json", "spiece.model"):
        if not os.path.isfile(os.path.join(teacher, name)):
            raise PipelineConfigError(
                f"{source}: trainer.distill_from {teacher!r} is not a pretrainer model dir (no {name})"
            )
    with open(os.path.join(teacher, "config.json"), encoding="utf-8") as f:
        saved = json.load(f)
    kind = saved.get("class_name", saved.get("task", ""))  # model-dir format 2 (1: "task")
    if kind != "AlbertPretrainer":
        raise PipelineConfigError(
            f"{source}: trainer.distill_from {teacher!r} holds a {kind}; the teacher must be an AlbertPretrainer"
        )
    if v["import_dir"] is None:
        v["import_dir"] = teacher
        return
    with open(os.path.join(teacher, "spiece.model"), "rb") as a, open(
        os.path.join(_abspath(v["import_dir"]), "spiece.model"), "rb"
    ) as b:
        if a.read() != b.read():
            raise PipelineConfigError(
                f"{source}: vocabulary.import_dir {v['import_dir']!r} differs from the teacher's vocabulary "
                f"({teacher}/spiece.model); a distilled student must share it (leave import_dir unset)"
            )


def _check_finetuning(config, source):
    f = config["finetuning"]
    base = _require(config, "finetuning", "base_model_dir", source)
    f["base_model_dir"] = _abspath(base)
    if not os.path.isfile(os.path.join(f["base_model_dir"], "config.json")):
        raise PipelineConfigError(
            f"{source}: finetuning.base_model_dir {base!r} is not a model dir (no config.json)"
        )
    if not os.path.isfile(os.path.join(f["base_model_dir"], "spiece.model")):
        raise PipelineConfigError(f"{source}: finetuning.base_model_dir {base!r} holds no spiece.model")
    if not f["labels"] or not all(isinstance(x, str) and x for x in f["labels"]):
        raise PipelineConfigError(f"{source}: finetuning.labels must list the class names (non-empty strings)")
    if len(set(f["labels"])) != len(f["labels"]):
        raise PipelineConfigError(f"{source}: finetuning.labels has duplicates: {f['labels']}")
    if config["ingest"]["label"] == "none":
        raise PipelineConfigError(f"{source}: ingest.label must be file or field for a finetuning pipeline")
    _positive(config, "finetuning", "sequence_length", source, minimum=3)
    ev = config["evaluator"]
    if not 0.0 <= ev["min_accuracy"] <= 1.0 or not 0.0 <= ev["max_accuracy_drop"] <= 1.0:
        raise PipelineConfigError(f"{source}: evaluator.min_accuracy and max_accuracy_drop must be in [0, 1]")


def resolve_inputs(inputs, source="<config>"):
    """Expands files, directories and globs into a sorted list of files.

    Raises:
        PipelineConfigError: no inputs, a path that matches nothing, a
            directory without files, or an empty file.
    """
    if not inputs:
        raise PipelineConfigError(f"{source}: ingest.inputs is empty: list the text files, dirs or globs to ingest")
    files = []
    for item in inputs:
        if not isinstance(item, str) or not item:
            raise PipelineConfigError(f"{source}: ingest.inputs holds a non-string or empty entry: {item!r}")
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
                raise PipelineConfigError(f"{source}: input directory {item!r} is empty (no files to ingest)")
        elif any(c in item for c in "*?["):
            found = sorted(f for f in glob.glob(path) if os.path.isfile(f))
            if not found:
                raise PipelineConfigError(f"{source}: input glob {item!r} matches no files")
        elif os.path.isfile(path):
            found = [path]
        else:
            raise PipelineConfigError(f"{source}: input file not found: {item!r}")
        for f in found:
            if os.path.getsize(f) == 0:
                raise PipelineConfigError(f"{source}: input file {f!r} is empty")
        files.extend(found)
    return sorted(dict.fromkeys(files))
