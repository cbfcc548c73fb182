"""The model directory format: config, weights, vocabulary and metadata.

A model directory holds:
    config.json        {"format_version": 1, "task": class name,
                        "backbone": backbone config, "task_config": {...}}
    model.weights.h5   the weights of the whole saved model (task or backbone)
    spiece.model       the SentencePiece model, when there is one
    tokenizer.json     tokenizer options (lowercase, ...), when there is one
    metadata.json      free-form provenance (source, created, ...)

`AlbertBackbone.from_preset(dir)` and `<Task>.from_preset(dir)` read it.
"""

import datetime
import json
import os
import shutil


FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
SPM_FILE = "spiece.model"
TOKENIZER_FILE = "tokenizer.json"
METADATA_FILE = "metadata.json"


def _task_classes():
    from albert_keras.models.backbone import AlbertBackbone
    from albert_keras.tasks.classifier import AlbertClassifier
    from albert_keras.tasks.multiple_choice import AlbertMultipleChoice
    from albert_keras.tasks.pretrainer import AlbertPretrainer
    from albert_keras.tasks.question_answerer import AlbertQuestionAnswerer
    from albert_keras.tasks.token_classifier import AlbertTokenClassifier

    classes = (
        AlbertBackbone,
        AlbertPretrainer,
        AlbertClassifier,
        AlbertTokenClassifier,
        AlbertQuestionAnswerer,
        AlbertMultipleChoice,
    )
    return {c.__name__: c for c in classes}


def _strip(config):
    return {k: v for k, v in config.items() if k not in ("name", "trainable")}


def save_model_dir(model, path, spm_path=None, tokenizer_options=None, metadata=None):
    """Writes `model` (a backbone or a task) as a model directory.

    Args:
        model: an `AlbertBackbone` or a task model.
        path: the directory (created; existing files are overwritten).
        spm_path: optional SentencePiece model file to copy in.
        tokenizer_options: optional dict saved as tokenizer.json.
        metadata: optional dict merged into metadata.json.
    """
    os.makedirs(path, exist_ok=True)
    name = type(model).__name__
    if name not in _task_classes():
        raise ValueError(f"Cannot save a {name}: expected an AlbertBackbone or an albert_keras task model.")
    backbone = model if name == "AlbertBackbone" else model.backbone
    task_config = {}
    if name != "AlbertBackbone":
        task_config = _strip(model.get_config())
        task_config.pop("backbone")
    config = {
        "format_version": FORMAT_VERSION,
        "task": name,
        "backbone": _strip(backbone.get_config()),
        "task_config": task_config,
    }
    with open(os.path.join(path, CONFIG_FILE), "w") as f:
        json.dump(config, f, indent=2)
    model.save_weights(os.path.join(path, WEIGHTS_FILE))
    if spm_path is not None:
        if os.path.abspath(spm_path) != os.path.abspath(os.path.join(path, SPM_FILE)):
            shutil.copyfile(spm_path, os.path.join(path, SPM_FILE))
    if tokenizer_options is not None:
        with open(os.path.join(path, TOKENIZER_FILE), "w") as f:
            json.dump(tokenizer_options, f, indent=2)
    meta = {"created": datetime.datetime.now(datetime.timezone.utc).isoformat(), "task": name}
    meta.update(metadata or {})
    with open(os.path.join(path, METADATA_FILE), "w") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)


def read_config(path):
    """Reads and checks a model directory's config.json."""
    file = os.path.join(path, CONFIG_FILE)
    if not os.path.isfile(file):
        raise FileNotFoundError(f"{path!r} is not a model directory: it has no {CONFIG_FILE}.")
    with open(file) as f:
        config = json.load(f)
    for key in ("format_version", "task", "backbone"):
        if key not in config:
            raise ValueError(f"{file} lacks the key {key!r}.")
    if config["task"] not in _task_classes():
        raise ValueError(f"{file}: unknown task {config['task']!r}. Known: {sorted(_task_classes())}")
    return config


def load_model_dir(path, **backbone_overrides):
    """Rebuilds the saved model (backbone or task) and loads its weights.

    Args:
        path: a model directory.
        **backbone_overrides: backbone config overrides (e.g. `dtype`,
            `dropout`, `output_hidden_states`).

    Returns:
        The model, of the class named in config.json.
    """
    from albert_keras.models.backbone import AlbertBackbone

    config = read_config(path)
    backbone_config = dict(config["backbone"])
    backbone_config.update(backbone_overrides)
    backbone = AlbertBackbone(**backbone_config)
    cls = _task_classes()[config["task"]]
    model = backbone if cls is AlbertBackbone else cls(backbone=backbone, **config.get("task_config", {}))
    weights = os.path.join(path, WEIGHTS_FILE)
    if not os.path.isfile(weights):
        raise FileNotFoundError(f"Model directory {path!r} has no {WEIGHTS_FILE}.")
    model.load_weights(weights)
    return model


def load_backbone_dir(cls, path, **overrides):
    """Loads the backbone (with its weights) of any saved model directory."""
    model = load_model_dir(path, **overrides)
    backbone = model if isinstance(model, cls) else model.backbone
    return backbone


def load_task_dir(cls, path, **task_kwargs):
    """Loads a task from a model directory.

    The same task class restores its heads too (`task_kwargs` must then be
    empty or equal to the saved ones); another class gets the saved backbone
    and new heads built from `task_kwargs`.
    """
    config = read_config(path)
    if config["task"] == cls.__name__:
        saved = config.get("task_config", {})
        differing = {k: v for k, v in task_kwargs.items() if saved.get(k) != v}
        if not differing:
            return load_model_dir(path)
    backbone = load_backbone_dir(_task_classes()["AlbertBackbone"], path)
    return cls(backbone=backbone, **task_kwargs)


def spm_path(path):
    """The SentencePiece model of a model directory, or None."""
    file = os.path.join(path, SPM_FILE)
    return file if os.path.isfile(file) else None
