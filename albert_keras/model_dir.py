"""The model directory format: config, weights, vocabulary and metadata.

A model directory holds:
    config.json        `keras.saving.serialize_keras_object(model)` plus
                       `"format_version": 2`: `class_name`, `registered_name`
                       (e.g. "albert_keras>AlbertClassifier") and `config`;
                       a task's `config` nests its backbone the same way.
    model.weights.h5   the weights of the whole saved model (task or backbone)
    spiece.model       the SentencePiece model, when there is one, or
    vocab.txt          the WordPiece vocabulary (BERT vocab, e.g. the Chinese
                       checkpoints'), when there is one
    tokenizer.json     tokenizer options (lowercase, ...; `"kind": "wordpiece"`
                       next to vocab.txt), when there is one
    metadata.json      free-form provenance (source, created, ...)
    preprocessor.json  `{"sequence_length": T}` of the task's preprocessor,
                       when it had one (the preprocessor itself is rebuilt
                       from the vocabulary; config.json never holds it)

Loading goes through the Keras registry, as KerasHub's `preset_utils` does:
the class is `keras.saving.get_registered_object(config["registered_name"])`
and the model is `keras.saving.deserialize_keras_object(config)`. This module
imports no model class; the classes register themselves when their package is
imported (`albert_keras.models`, `albert_keras.tasks`, or any public name of
`albert_keras`).

Version-1 directories (`{"format_version": 1, "task": class name,
"backbone": {...}, "task_config": {...}}`) are read and converted to the
version-2 shape on the fly.
"""

import copy
import datetime
import importlib
import json
import os
import shutil
from typing import Any

import keras

from albert_keras.preprocessing.preprocessor import AlbertPreprocessor
from albert_keras.tokenizer import loading

FORMAT_VERSION = 2
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
SPM_FILE = "spiece.model"
WORDPIECE_FILE = loading.WORDPIECE_FILE
TOKENIZER_FILE = "tokenizer.json"
METADATA_FILE = "metadata.json"
PREPROCESSOR_FILE = "preprocessor.json"

PACKAGE = "albert_keras"
BACKBONE_CLASS = "AlbertBackbone"
# Serialized state that a model directory does not keep (KerasHub drops it too).
_DROPPED_KEYS = ("build_config", "compile_config")


def _registered_name(class_name):
    return f"{PACKAGE}>{class_name}"


def _without_state(serialized):
    serialized = {k: v for k, v in serialized.items() if k not in _DROPPED_KEYS}
    inner = serialized.get("config")
    if isinstance(inner, dict) and isinstance(inner.get("backbone"), dict):
        # The preprocessor is rebuilt from the directory's vocabulary, not kept in config.json.
        inner = {k: v for k, v in inner.items() if k != "preprocessor"}
        serialized["config"] = dict(inner, backbone=_without_state(inner["backbone"]))
    return serialized


def _write_tokenizer_vocabulary(tokenizer, path):
    """Writes a tokenizer layer's own vocabulary (spiece.model or vocab.txt + tokenizer.json) into `path`."""
    options = {"lowercase": tokenizer.lowercase, "strip_accents": tokenizer.strip_accents}
    if hasattr(tokenizer, "proto"):
        with open(os.path.join(path, SPM_FILE), "wb") as f:
            f.write(tokenizer.proto)
    else:
        with open(os.path.join(path, WORDPIECE_FILE), "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(t + "\n" for t in tokenizer.vocabulary))
        options["kind"] = loading.WORDPIECE
    with open(os.path.join(path, TOKENIZER_FILE), "w") as f:
        json.dump(options, f, indent=2)


def save_model_dir(
    model: keras.Model,
    path: str,
    spm_path: str | None = None,
    tokenizer_options: dict | None = None,
    metadata: dict | None = None,
    vocab_path: str | None = None,
) -> None:
    """Writes `model` (a backbone or a task) as a model directory.

    A task's `preprocessor` is kept as `preprocessor.json` (its sequence
    length) and, when no vocabulary is given, as its tokenizer's own
    vocabulary files.

    Args:
        model: an `AlbertBackbone` or a task model (any `keras.Model`
            registered under the `albert_keras` package).
        path: the directory (created; existing files are overwritten).
        spm_path: optional SentencePiece model file to copy in (the same as
            `vocab_path`; kept for old callers).
        tokenizer_options: optional dict saved as tokenizer.json.
        metadata: optional dict merged into metadata.json.
        vocab_path: optional vocabulary of either kind: a ``spiece.model``
            (copied as spiece.model), a WordPiece ``vocab.txt`` /
            ``vocab_chinese.txt`` (copied as vocab.txt, with a tokenizer.json
            that says ``"kind": "wordpiece"``), or a vocab/model dir holding one.
    """
    registered = keras.saving.get_registered_name(type(model))
    if (
        not isinstance(model, keras.Model)
        or not registered.startswith(f"{PACKAGE}>")
        or keras.saving.get_registered_object(registered) is not type(model)
    ):
        raise ValueError(
            "`model` must be an AlbertBackbone or an albert_keras task model (a keras.Model registered "
            f"under the {PACKAGE!r} package). Received: a {type(model).__name__} (registered as {registered!r})"
        )
    source, kind = _vocabulary_source(spm_path, vocab_path)
    os.makedirs(path, exist_ok=True)
    config = {"format_version": FORMAT_VERSION}
    config.update(_without_state(keras.saving.serialize_keras_object(model)))
    with open(os.path.join(path, CONFIG_FILE), "w") as f:
        json.dump(config, f, indent=2)
    model.save_weights(os.path.join(path, WEIGHTS_FILE))
    if source is not None:
        target = os.path.join(path, SPM_FILE if kind == loading.SENTENCEPIECE else WORDPIECE_FILE)
        if os.path.abspath(source) != os.path.abspath(target):
            shutil.copyfile(source, target)
        if kind == loading.WORDPIECE:
            # tokenizer.json is what tells a reader (and `load_tokenizer`) how to use vocab.txt.
            tokenizer_options = {**loading.tokenizer_options(source), **(tokenizer_options or {})}
            tokenizer_options["kind"] = loading.WORDPIECE
    if tokenizer_options is not None:
        with open(os.path.join(path, TOKENIZER_FILE), "w") as f:
            json.dump(tokenizer_options, f, indent=2)
    preprocessor = getattr(model, "preprocessor", None)
    if preprocessor is not None:
        if source is None and not loading.has_vocabulary(path):
            _write_tokenizer_vocabulary(preprocessor.tokenizer, path)
        with open(os.path.join(path, PREPROCESSOR_FILE), "w") as f:
            json.dump({"sequence_length": preprocessor.sequence_length}, f, indent=2)
    meta = {"created": datetime.datetime.now(datetime.timezone.utc).isoformat(), "task": type(model).__name__}
    meta.update(metadata or {})
    with open(os.path.join(path, METADATA_FILE), "w") as f:
        json.dump(meta, f, indent=2, ensure_ascii=False)


def _vocabulary_source(spm_path, vocab_path):
    """`(file, kind)` of the vocabulary to copy into a model dir, or `(None, None)`."""
    if spm_path is not None and vocab_path is not None:
        raise ValueError(f"Give `vocab_path` or `spm_path`, not both. Received: {vocab_path!r} and {spm_path!r}")
    if vocab_path is None and spm_path is None:
        return None, None
    path = os.fspath(vocab_path if vocab_path is not None else spm_path)
    if vocab_path is None and os.path.isfile(path) and not path.endswith(".txt"):
        return path, loading.SENTENCEPIECE  # a SentencePiece model of any file name
    source = loading.vocab_file(path)
    return source, loading.tokenizer_kind(source)


def upgrade_config(config: dict, file: str) -> dict:
    """Converts a version-1 config.json dict to the version-2 shape.

    Args:
        config: the parsed config.json, of any known version.
        file: the file it came from, for messages.

    Returns:
        A version-2 config dict (a version-2 input is returned unchanged).

    Raises:
        ValueError: an unknown `format_version` or a key a version lacks.
    """
    version = config.get("format_version")
    if version == FORMAT_VERSION:
        return config
    if version != 1:
        raise ValueError(
            f"{file}: `format_version` must be 1 or {FORMAT_VERSION}. Received: format_version={version!r}"
        )
    for key in ("task", "backbone"):
        if key not in config:
            raise ValueError(f"{file}: a version-1 config.json must have the key {key!r}. Received: {sorted(config)}")
    backbone = {
        "class_name": BACKBONE_CLASS,
        "config": dict(config["backbone"]),
        "registered_name": _registered_name(BACKBONE_CLASS),
    }
    if config["task"] == BACKBONE_CLASS:
        upgraded = backbone
    else:
        upgraded = {
            "class_name": config["task"],
            "config": dict(config.get("task_config") or {}, backbone=backbone),
            "registered_name": _registered_name(config["task"]),
        }
    return {"format_version": FORMAT_VERSION, **upgraded}


def is_model_dir(path: str) -> bool:
    """True when `path` is a model directory: its config.json has a `format_version`."""
    file = os.path.join(path, CONFIG_FILE)
    if not os.path.isfile(file):
        return False
    try:
        with open(file) as f:
            config = json.load(f)
    except (OSError, json.JSONDecodeError):
        return False
    return isinstance(config, dict) and "format_version" in config


def read_config(path: str) -> dict:
    """Reads a model directory's config.json, upgraded to version 2.

    Args:
        path: a model directory.

    Returns:
        The version-2 config dict: `format_version`, `class_name`,
        `registered_name` and `config`.

    Raises:
        FileNotFoundError: `path` has no config.json.
        ValueError: an unknown version or a missing key (naming the file).
    """
    file = os.path.join(path, CONFIG_FILE)
    if not os.path.isfile(file):
        raise FileNotFoundError(f"{path!r} is not a model directory: it has no {CONFIG_FILE}.")
    with open(file) as f:
        config = upgrade_config(json.load(f), file)
    for key in ("class_name", "registered_name", "config"):
        if key not in config:
            raise ValueError(f"{file}: config.json must have the key {key!r}. Received: {sorted(config)}")
    return config


def saved_class(config: dict, file: str) -> type:
    """The registered class that a (version-2) config names.

    Args:
        config: a dict from `read_config`.
        file: the config file, for messages.

    Returns:
        The `keras.Model` subclass registered under `config["registered_name"]`.

    Raises:
        ValueError: no class, or no `keras.Model`, is registered under that name.
    """
    name = config["registered_name"]
    cls = keras.saving.get_registered_object(name)
    module = config.get("module") or ""
    if cls is None and module.startswith(f"{PACKAGE}."):
        # A class of this package that is not imported yet (e.g. a task, when only
        # `albert_keras.models` was imported): importing its saved module registers it.
        # Only this package's own modules are imported, never a module the file names freely.
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            pass  # reported below as an unregistered name
        cls = keras.saving.get_registered_object(name)
    if cls is None:
        known = sorted(k for k in keras.saving.get_custom_objects() if k.startswith(f"{PACKAGE}>"))
        raise ValueError(
            f"{file}: `registered_name` must name a registered Keras class. Received: registered_name={name!r}. "
            f"Registered {PACKAGE} classes: {known}. Task classes register when `albert_keras.tasks` is imported."
        )
    if not (isinstance(cls, type) and issubclass(cls, keras.Model)):
        raise ValueError(f"{file}: `registered_name` must name a keras.Model subclass. Received: {name!r} ({cls!r})")
    return cls


def backbone_config(config: dict) -> dict:
    """The backbone constructor args of a (version-2) config, saved backbone or task.

    Args:
        config: a dict from `read_config`.

    Returns:
        A copy of the `AlbertBackbone` config (`vocabulary_size`,
        `hidden_dim`, ...) without the layer `name` and `trainable`.
    """
    return {k: v for k, v in _saved_backbone(config).items() if k not in ("name", "trainable")}


def _saved_backbone(config):
    inner = config["config"]
    return inner["backbone"]["config"] if "backbone" in inner else inner


def _with_backbone_overrides(config, overrides):
    config = copy.deepcopy(config)
    _saved_backbone(config).update(overrides)
    return config


def load_model_dir(path: str, **backbone_overrides: Any) -> keras.Model:
    """Rebuilds the saved model (backbone or task) and loads its weights.

    Args:
        path: a model directory.
        **backbone_overrides: backbone config overrides (e.g. `dtype`,
            `dropout`, `output_hidden_states`).

    Returns:
        The model, of the class that config.json's `registered_name` names.
    """
    config = read_config(path)
    cls = saved_class(config, os.path.join(path, CONFIG_FILE))
    weights = os.path.join(path, WEIGHTS_FILE)
    if not os.path.isfile(weights):
        raise FileNotFoundError(f"Model directory {path!r} has no {WEIGHTS_FILE}.")
    config = _with_backbone_overrides(config, backbone_overrides)
    config.pop("format_version")
    model = keras.saving.deserialize_keras_object(config)
    if not isinstance(model, cls):
        raise ValueError(f"{path}/{CONFIG_FILE} built a {type(model).__name__}, expected a {cls.__name__}.")
    model.load_weights(weights)
    if hasattr(model, "preprocessor") and model.preprocessor is None:
        model.preprocessor = load_preprocessor(path)
    return model


def load_preprocessor(path: str, sequence_length: int | None = None) -> AlbertPreprocessor | None:
    """The `AlbertPreprocessor` of a model directory's vocabulary, or None when it has none.

    Args:
        path: a model directory.
        sequence_length: T; None reads preprocessor.json, else the
            backbone's `max_sequence_length`.

    Returns:
        A preprocessor with the directory's tokenizer (SentencePiece or
        WordPiece, whichever it holds), or None.
    """
    if not loading.has_vocabulary(path):
        return None
    if sequence_length is None:
        file = os.path.join(path, PREPROCESSOR_FILE)
        if os.path.isfile(file):
            with open(file) as f:
                sequence_length = json.load(f).get("sequence_length")
    if sequence_length is None:
        sequence_length = int(backbone_config(read_config(path)).get("max_sequence_length", 512))
    return AlbertPreprocessor.from_vocab_dir(path, sequence_length=sequence_length)


def load_backbone_dir(path: str, **overrides: Any) -> keras.Model:
    """The backbone (with its weights) of any saved model directory.

    Args:
        path: a model directory holding a backbone or a task.
        **overrides: backbone config overrides.

    Returns:
        The saved backbone itself, or the saved task's `backbone`.
    """
    model = load_model_dir(path, **overrides)
    return getattr(model, "backbone", model)


def spm_path(path: str) -> str | None:
    """The SentencePiece model of a model directory, or None."""
    file = os.path.join(path, SPM_FILE)
    return file if os.path.isfile(file) else None


def vocab_path(path: str) -> str | None:
    """The vocabulary file of a model directory, of either kind (spiece.model or vocab.txt), or None."""
    return loading.vocab_file(path) if loading.has_vocabulary(path) else None
