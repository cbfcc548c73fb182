"""What a downloaded directory holds, and how it becomes a model directory.

`LAYOUTS` is a plain table of `Layout(name, detect, convert)`, tried in
order: `detect(dir)` says whether a directory has that layout; `convert(dir,
output, options)` writes our model directory to `output`. To support a new
source, append a row (the converter lives in `albert_keras.convert`).

Known layouts:
    model_dir   our own model directory (config.json with `format_version`):
                used as is, never converted.
    google_tf1  a google-research TF1 tarball: `albert_config.json`,
                `model.ckpt-*.index` (+ data), and `30k-clean.model` /
                `spiece.model` or a WordPiece `vocab_chinese.txt` / `vocab.txt`.
    brightmart_tf1  a brightmart/albert_zh TF1 checkpoint: `albert_model.ckpt`
                (+ data), `albert_config_<size>.json` (or `bert_config.json`)
                and `vocab.txt`, whose variables hold brightmart's factorized
                embedding (`bert/embeddings/word_embeddings_2`). Tried before
                google_tf1, whose files look the same.
    google_tf1  a google-research TF1 tarball: `albert_config*.json`,
                `model.ckpt-*.index` (+ data), and `30k-clean.model` /
                `spiece.model` or a WordPiece `vocab_chinese.txt` / `vocab.txt`.
    hf          a HF transformers directory: config.json with
                `"model_type": "albert"` and `model.safetensors` (or its
                shards' `model.safetensors.index.json`).
    serving_export    a SavedModel written by `albert export` or a Pusher
                (`assets.extra/model.keras` + the vocabulary in `assets/`).
    serving_versions  a serving base dir (what Pusher pushes to): the
                export of its newest numeric version.
    keras_hub   a KerasHub ALBERT preset: config.json with a `keras_hub>`
                `registered_name`, `model.weights.h5`, `tokenizer.json` and
                `assets/tokenizer/vocabulary.spm`.

Weights load only from TF checkpoints, safetensors and `.h5`: a directory
whose only weights are `pytorch_model.bin` (a pickle) is refused with a
message that says how to get safetensors.
"""

import glob
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from albert_keras import convert
from albert_keras.handles import HubError

HF_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5.pkl")


@dataclass(frozen=True)
class Layout:
    """A kind of checkpoint directory.

    Attributes:
        name: the layout's name (e.g. "google_tf1").
        detect: `detect(directory) -> bool`.
        convert: `convert(directory, output, options) -> None`, writing our
            model directory to `output`; None for our own model directory.
    """

    name: str
    detect: Callable[[str], bool]
    convert: Callable[[str, str, dict[str, Any]], None] | None


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def _is_model_dir(directory):
    config = _read_json(os.path.join(directory, "config.json"))
    return isinstance(config, dict) and "format_version" in config


def checkpoint_prefix(directory: str, preferred: str | None = None) -> str | None:
    """The TF1 checkpoint prefix in `directory`: `preferred` if present, else
    `model.ckpt-best`, else the highest-numbered `model.ckpt-N`, else None."""
    for name in (preferred, "model.ckpt-best"):
        if name and os.path.isfile(os.path.join(directory, name + ".index")):
            return os.path.join(directory, name)
    prefixes = [p[: -len(".index")] for p in glob.glob(os.path.join(directory, "*.ckpt*.index"))]

    def step(prefix):
        match = re.search(r"-(\d+)$", prefix)
        return int(match.group(1)) if match else -1

    return max(prefixes, key=step) if prefixes else None


def _first(directory, names):
    for name in names:
        if name and os.path.isfile(os.path.join(directory, name)):
            return os.path.join(directory, name)
    return None


def _tf1_config(directory, preferred=None):
    """The TF1 config file: `preferred`, else `albert_config.json`, else the one `albert_config*.json`."""
    found = _first(directory, (preferred, "albert_config.json"))
    if found:
        return found
    configs = sorted(glob.glob(os.path.join(directory, "albert_config*.json")))
    return configs[0] if len(configs) == 1 else None


def _is_google_tf1(directory):
    return _tf1_config(directory) is not None and checkpoint_prefix(directory) is not None


def _has_brightmart_variables(prefix):
    try:
        names = {name for name, _ in tf.train.list_variables(prefix)}
    except (tf.errors.OpError, ValueError):
        return False
    return any(n.endswith("bert/embeddings/word_embeddings_2") for n in names)


def _is_brightmart_tf1(directory):
    if _tf1_config(directory) is None and not os.path.isfile(os.path.join(directory, "bert_config.json")):
        return False
    prefix = checkpoint_prefix(directory)
    return prefix is not None and _has_brightmart_variables(prefix)


def _convert_brightmart_tf1(directory, output, options):
    files = convert.brightmart_files(directory)
    convert.from_brightmart(
        files["checkpoint"], files["config"], output=output, vocab=files["vocab"],
        lowercase=options.get("uncased", True),
    )


def _convert_google_tf1(directory, output, options):
    layout = options.get("layout") or {}
    prefix = checkpoint_prefix(directory, layout.get("checkpoint"))
    spm = _first(directory, (layout.get("spm"), "30k-clean.model", "spiece.model"))
    vocab = None if spm else _first(directory, (layout.get("vocab"), "vocab_chinese.txt", "vocab.txt"))
    config = _tf1_config(directory, layout.get("config"))
    convert.from_google_checkpoint(
        prefix, config, output=output, spm=spm, vocab=vocab, lowercase=options.get("uncased", True)
    )


def _is_hf(directory):
    config = _read_json(os.path.join(directory, "config.json"))
    return (
        isinstance(config, dict)
        and config.get("model_type") == "albert"
        and any(os.path.isfile(os.path.join(directory, n)) for n in HF_WEIGHTS)
    )


def _convert_hf(directory, output, options):
    del options  # a HF directory carries its own tokenizer options
    convert.from_hf(directory, output=output)


def _convert_keras_hub(directory, output, options):
    # KerasHub's AlbertTokenizer neither lowercases nor strips accents: keep its ids unless the registry says uncased.
    uncased = options.get("uncased")
    convert.from_keras_hub(directory, output=output, lowercase=uncased, strip_accents=uncased)


def _convert_serving_export(directory, output, options):
    del options  # an export carries its tokenizer options in export.json
    convert.from_serving_export(directory, output)


LAYOUTS = [
    Layout("model_dir", _is_model_dir, None),
    Layout("serving_export", convert.is_serving_export, _convert_serving_export),
    Layout("serving_versions", convert.is_serving_versions, _convert_serving_export),
    Layout("brightmart_tf1", _is_brightmart_tf1, _convert_brightmart_tf1),
    Layout("google_tf1", _is_google_tf1, _convert_google_tf1),
    Layout("hf", _is_hf, _convert_hf),
    Layout("keras_hub", convert.is_keras_hub_preset, _convert_keras_hub),
]


def _listing(directory, limit=40):
    files = []
    for root, _, names in os.walk(directory):
        files += [os.path.relpath(os.path.join(root, n), directory) for n in names]
    files.sort()
    more = f" ... and {len(files) - limit} more" if len(files) > limit else ""
    return (", ".join(files[:limit]) or "no files") + more


def pickle_error(source: str, pickled: list[str]) -> HubError:
    """The error for a checkpoint whose only weights are pickled PyTorch files."""
    return HubError(
        f"{source} holds only {', '.join(pickled)}: PyTorch pickle files, which albert_keras never loads "
        "(unpickling runs arbitrary code). Weights load only from TF checkpoints, safetensors and .h5. "
        "Get a model.safetensors: on the Hugging Face Hub use the repo's safetensors conversion "
        "(the 'refs/pr/N' revision opened by the SFconvertbot, e.g. hf://OWNER/REPO@refs/pr/1), or "
        "convert it yourself where torch is installed: "
        "`transformers.AlbertForPreTraining.from_pretrained(dir).save_pretrained(out, safe_serialization=True)`."
    )


def refuse_pickle(directory: str, source: str) -> None:
    """Raises `HubError` when `directory`'s only weights are pickled PyTorch files."""
    pickled = [n for n in PICKLE_WEIGHTS if os.path.isfile(os.path.join(directory, n))]
    if pickled and not glob.glob(os.path.join(directory, "*.safetensors")):
        raise pickle_error(source, pickled)


def detect(directory: str, source: str | None = None, prefer: str | None = None) -> Layout:
    """The layout of a directory.

    Args:
        directory: a local directory.
        source: the handle or path, for messages.
        prefer: the layout the registry names (its `format`), required
            instead of detected (brightmart's files look like Google's but
            need their own converter).

    Returns:
        The preferred layout, else the first `Layout` in `LAYOUTS` whose
        `detect` accepts the directory.

    Raises:
        HubError: pickle-only weights, a `prefer` that no row of `LAYOUTS`
            names or that does not accept the directory, or no layout
            matches (the message lists the files found and the layouts known).
    """
    source = source or directory
    refuse_pickle(directory, source)
    known = {layout.name: layout for layout in LAYOUTS}
    if prefer is not None:
        if prefer not in known:
            raise HubError(
                f"{source} has the format {prefer!r}, which no converter handles yet. "
                f"Known layouts: {', '.join(known)}."
            )
        if not known[prefer].detect(directory):
            raise HubError(
                f"{source} should have the {prefer!r} layout, but {directory} does not. "
                f"Files found: {_listing(directory)}."
            )
        return known[prefer]
    for layout in LAYOUTS:
        if layout.detect(directory):
            return layout
    raise HubError(
        f"{source} ({directory}) has no known checkpoint layout. Files found: {_listing(directory)}. "
        f"Known layouts: {', '.join(layout.name for layout in LAYOUTS)}."
    )


def find_source_dir(root: str, hint: str | None = None, source: str | None = None) -> str:
    """The directory under an unpacked archive that holds the checkpoint.

    Tries `root/hint` (the registry's `layout.root`), `root`, then every
    directory under `root` (shallowest first) for one a layout detects.

    Raises:
        HubError: none does (listing the files and the known layouts).
    """
    candidates = [os.path.join(root, hint)] if hint else []
    candidates.append(root)
    for current, dirs, _ in os.walk(root):
        dirs.sort()
        candidates += [os.path.join(current, d) for d in dirs]
    for directory in candidates:
        if os.path.isdir(directory):
            refuse_pickle(directory, source or root)
            if any(layout.detect(directory) for layout in LAYOUTS):
                return directory
    detect(root, source)  # raises: no directory has a known layout
    return root
