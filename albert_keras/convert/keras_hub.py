"""KerasHub ALBERT presets in and out, without importing keras_hub.

A KerasHub preset directory (what `AlbertBackbone.save_to_preset` and
`AlbertTokenizer.save_to_preset` write) holds:

    config.json                      the serialized KerasHub `AlbertBackbone`
                                     (`registered_name` "keras_hub>AlbertBackbone")
    model.weights.h5                 its weights, in Keras 3's layout
    tokenizer.json                   the serialized KerasHub `AlbertTokenizer`
    assets/tokenizer/vocabulary.spm  its SentencePiece model
    metadata.json                    keras_version, keras_hub_version, ...

The weights file is read and written with h5py; the names go through the one
map in `keras_hub_map.py`.
"""

import datetime
import importlib.metadata
import json
import logging
import os
import shutil
from typing import Any

import h5py
import keras
import numpy as np

from albert_keras.convert.keras_hub_map import (
    BACKBONE_MODULE,
    BACKBONE_REGISTERED_NAME,
    EXTRA_ARGS,
    TOKENIZER_MODULE,
    TOKENIZER_REGISTERED_NAMES,
    KerasHubSlot,
    backbone_config_from_keras_hub,
    h5_layer_names,
    keras_hub_config_from_backbone,
    keras_hub_slots,
)
from albert_keras.model_dir import load_model_dir, read_config, save_model_dir, spm_path
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tokenizer import vocab

logger = logging.getLogger("albert_keras.convert")

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
TOKENIZER_FILE = "tokenizer.json"
METADATA_FILE = "metadata.json"
ASSETS_DIR = "assets"
SPM_ASSET = "vocabulary.spm"
TASK_FILE = "task.json"
WORDPIECE_FILE = "vocab.txt"
# Our settings that KerasHub lacks, kept in KerasHub's metadata.json for the way back.
METADATA_KEY = "albert_keras"
# The tasks KerasHub 0.25.1 lists for an AlbertBackbone preset.
_TASKS = ["MaskedLM", "TextClassifier"]
_MAX_LISTED = 30


def _listing(items):
    items = list(items)
    more = f" ... and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else ""
    return ", ".join(items[:_MAX_LISTED]) + more


def is_keras_hub_preset(directory: str) -> bool:
    """Whether `directory` holds a KerasHub preset (config.json with a `keras_hub>` registered_name)."""
    file = os.path.join(directory, CONFIG_FILE)
    if not os.path.isfile(file):
        return False
    try:
        with open(file, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and str(config.get("registered_name", "")).startswith("keras_hub>")


def _read_json(file):
    try:
        with open(file, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise ValueError(f"{file} is not valid JSON: {e}") from e


def _dataset_array(dataset: h5py.Dataset) -> np.ndarray:
    value = np.asarray(dataset[()])
    if dataset.attrs.get("dtype") == "bfloat16":
        # Keras stores bfloat16 as 2-byte opaque data with a dtype attribute.
        import ml_dtypes

        value = value.view(ml_dtypes.bfloat16)
    return value


def read_weights_h5(path: str) -> list[tuple[str, str | None, np.ndarray]]:
    """Every variable in a Keras 3 `model.weights.h5`.

    Args:
        path: the weights file.

    Returns:
        A list of `(h5_path, key, array)`: the dataset path
        (`layers/dense_1/vars/0`), the layer-name key the file's `name`
        attributes spell (`pooled_dense/0`, or None when some layer group has
        no name, as in files of older Keras versions), and the value.

    Raises:
        ValueError: the file is not an HDF5 file.
    """
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"Cannot read {path} as a Keras weights file (HDF5): {e}") from e
    entries = []
    with f:
        if "_layer_checkpoint_dependencies" in f and "layers" not in f:
            logger.warning("%s has the TF 2.13 layout (_layer_checkpoint_dependencies); reading it as `layers`.", path)

        def visit(name, obj):
            if not isinstance(obj, h5py.Dataset):
                return
            parts = name.split("/")
            if len(parts) < 2 or parts[-2] != "vars":
                raise ValueError(f"{path} has a dataset outside any `vars` group: {name}")
            h5_path = name.replace("_layer_checkpoint_dependencies", "layers")
            names = []
            for i in range(len(parts) - 2):
                group = f["/".join(parts[: i + 1])]
                if "vars" not in group:
                    continue  # a container (the Functional model's `layers`), not a layer
                layer_name = group["vars"].attrs.get("name")
                if layer_name is None:
                    names = None
                    break
                names.append(layer_name.decode() if isinstance(layer_name, bytes) else str(layer_name))
            key = None if names is None or not names else "/".join(names + [parts[-1]])
            entries.append((h5_path, key, _dataset_array(obj)))

        f.visititems(visit)
    return entries


def load_weights_h5(backbone: AlbertBackbone, path: str) -> dict[str, list[str]]:
    """Loads a KerasHub `model.weights.h5` into our backbone, checking every name and shape.

    A file variable is matched by the layer names its file spells when it
    has them, else by its dataset path (both are in the map).

    Args:
        backbone: our backbone, built with the preset's config.
        path: the weights file.

    Returns:
        A report: `loaded` (KerasHub variable paths), `by_path` (those matched
        by dataset path, when the file has no layer names).

    Raises:
        ValueError: naming every file variable the map does not know, every
            backbone variable the file lacks, and every shape mismatch.
    """
    slots = keras_hub_slots(backbone)
    by_key = {s.key: s for s in slots}
    by_h5 = {s.h5_path: s for s in slots}
    values: dict[int, tuple[KerasHubSlot, np.ndarray]] = {}
    unknown, wrong_shape, twice, by_path = [], [], [], []
    misshapen = set()
    for h5_path, key, array in read_weights_h5(path):
        slot = by_key.get(key) if key is not None else by_h5.get(h5_path)
        label = h5_path if key is None else f"{h5_path} ({key})"
        if slot is None:
            unknown.append(label)
            continue
        if key is None:
            by_path.append(slot.path)
        if id(slot) in values:
            twice.append(label)
            continue
        if tuple(array.shape) != slot.keras_hub_shape:
            wrong_shape.append(f"{slot.path} ({label}) has shape {tuple(array.shape)}, config.json expects "
                               f"{slot.keras_hub_shape}")
            misshapen.add(id(slot))
            continue
        values[id(slot)] = (slot, array)
    missing = [f"{s.path} ({s.h5_path})" for s in slots if id(s) not in values and id(s) not in misshapen]
    problems = []
    if unknown:
        problems.append(f"{len(unknown)} weights of the file that KerasHub's AlbertBackbone map does not have: "
                        f"{_listing(unknown)}")
    if missing:
        problems.append(f"{len(missing)} backbone weights missing from the file: {_listing(missing)}")
    if wrong_shape:
        problems.append(f"{len(wrong_shape)} shape mismatches (config.json vs weights): {_listing(wrong_shape)}")
    if twice:
        problems.append(f"{len(twice)} weights given twice: {_listing(twice)}")
    if problems:
        raise ValueError(f"Cannot convert {path}:\n  " + "\n  ".join(problems))
    for slot, array in values.values():
        slot.variable.assign(slot.to_ours(array).astype(slot.variable.dtype))
    if by_path:
        logger.info("%s has no layer names (an older Keras): matched %d weights by dataset path.", path, len(by_path))
    return {"loaded": sorted(s.path for s, _ in values.values()), "by_path": sorted(by_path)}


def _read_tokenizer(input_dir):
    """The preset's SentencePiece file, or None (no tokenizer.json); refuses other tokenizers."""
    file = os.path.join(input_dir, TOKENIZER_FILE)
    if not os.path.isfile(file):
        logger.warning("%s has no %s: the model directory gets no vocabulary.", input_dir, TOKENIZER_FILE)
        return None
    config = _read_json(file)
    registered = config.get("registered_name") if isinstance(config, dict) else None
    if registered not in TOKENIZER_REGISTERED_NAMES:
        raise ValueError(
            f"`registered_name` in {file} must be one of {list(TOKENIZER_REGISTERED_NAMES)} (a SentencePiece "
            f"tokenizer). Received: {registered!r}"
        )
    inner = config.get("config", {})
    for flag in ("add_bos", "add_eos"):
        if inner.get(flag):
            logger.warning("%s sets %s=True; albert_keras's tokenizer adds no [CLS]/[SEP] itself (the "
                           "preprocessor packs them).", file, flag)
    subdir = str(inner.get("config_file", TOKENIZER_FILE)).split(".")[0]
    spm = os.path.join(input_dir, ASSETS_DIR, subdir, SPM_ASSET)
    if not os.path.isfile(spm):
        raise ValueError(f"{input_dir} has {TOKENIZER_FILE} but no {os.path.join(ASSETS_DIR, subdir, SPM_ASSET)}.")
    with open(spm, "rb") as f:
        vocab.check_special_ids(f.read())
    return spm


def _looks_uncased(spm):
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=spm)
    return not any(sp.id_to_piece(i) != sp.id_to_piece(i).lower() for i in range(5, sp.get_piece_size()))


def from_keras_hub(
    input_dir: str,
    output: str | None = None,
    lowercase: bool | None = None,
    strip_accents: bool | None = None,
) -> AlbertBackbone:
    """Converts a KerasHub ALBERT preset directory into our `AlbertBackbone`.

    Reads `config.json` (a serialized KerasHub `AlbertBackbone`),
    `model.weights.h5` (with h5py), `tokenizer.json` and
    `assets/tokenizer/vocabulary.spm`. Every weight of the file must map to
    one of ours and every one of ours must be in the file, with KerasHub's
    shape. A `task.json` (a KerasHub task's head) is not converted.

    Args:
        input_dir: the preset directory.
        output: when given, the model directory to write (`spiece.model`
            and `tokenizer.json` options included when the preset has a
            tokenizer).
        lowercase: the tokenizer option of the model directory. KerasHub's
            `AlbertTokenizer` neither lowercases nor strips accents, so the
            default (None) is False, giving KerasHub's ids; a preset that
            albert_keras wrote keeps its own options (in metadata.json).
            Pass True for uncased presets to tokenize like the original ALBERT.
        strip_accents: likewise for stripping accents.

    Returns:
        The loaded `AlbertBackbone`.

    Raises:
        ValueError: a preset of another class, an unknown config key, or
            weights that do not match the map (each named).
        FileNotFoundError: `config.json` or `model.weights.h5` is missing.
    """
    config_file = os.path.join(input_dir, CONFIG_FILE)
    if not os.path.isfile(config_file):
        raise FileNotFoundError(f"{input_dir} is not a KerasHub preset directory: it has no {CONFIG_FILE}.")
    config = _read_json(config_file)
    registered = config.get("registered_name") if isinstance(config, dict) else None
    if registered != BACKBONE_REGISTERED_NAME:
        raise ValueError(
            f"`registered_name` in {config_file} must be {BACKBONE_REGISTERED_NAME!r}. Received: {registered!r}"
        )
    weights = os.path.join(input_dir, WEIGHTS_FILE)
    if not os.path.isfile(weights):
        sharded = os.path.isfile(os.path.join(input_dir, "model.weights.json"))
        hint = " It has sharded weights (model.weights.json), which albert_keras does not read." if sharded else ""
        raise FileNotFoundError(f"{input_dir} has no {WEIGHTS_FILE}.{hint}")
    backbone_config = backbone_config_from_keras_hub(config.get("config", {}), config_file)
    metadata_file = os.path.join(input_dir, METADATA_FILE)
    metadata = _read_json(metadata_file) if os.path.isfile(metadata_file) else {}
    ours = metadata.get(METADATA_KEY, {}) if isinstance(metadata, dict) else {}
    for key, value in ours.get("backbone_config", {}).items():
        if key in EXTRA_ARGS:
            backbone_config[key] = value
    if os.path.isfile(os.path.join(input_dir, TASK_FILE)):
        logger.warning("%s has a %s (a KerasHub task): only its backbone is converted.", input_dir, TASK_FILE)
    backbone = AlbertBackbone(**backbone_config)
    report = load_weights_h5(backbone, weights)
    logger.info("%s: loaded %d weights", input_dir, len(report["loaded"]))
    if output is not None:
        spm = _read_tokenizer(input_dir)
        options = None
        if spm is not None:
            options = {"lowercase": False, "strip_accents": False}
            options.update(ours.get("tokenizer_options", {}))
            if lowercase is not None:
                options["lowercase"] = bool(lowercase)
            if strip_accents is not None:
                options["strip_accents"] = bool(strip_accents)
            if not options["lowercase"] and _looks_uncased(spm):
                logger.warning(
                    "%s's vocabulary has no upper-case piece (an uncased model?) but the tokenizer will not "
                    "lowercase, like KerasHub's. Pass lowercase=True (--lowercase) to tokenize like the original "
                    "ALBERT.", input_dir
                )
        save_model_dir(
            backbone,
            output,
            spm_path=spm,
            tokenizer_options=options,
            metadata={
                "source": "KerasHub preset",
                "input": os.path.abspath(input_dir),
                "keras_hub_metadata": metadata,
                "converted_variables": len(report["loaded"]),
            },
        )
    return backbone


def write_weights_h5(backbone: AlbertBackbone, path: str) -> int:
    """Writes our backbone's weights as KerasHub's `AlbertBackbone` `model.weights.h5`.

    The layout is Keras 3's (see `keras_hub_map`): each layer's variables in
    `<group>/vars/<i>`, each `vars` group named after its layer. Layers
    without variables (inputs, dropout, add) get no group; Keras reads them
    as empty. bfloat16 variables are stored as Keras does (2-byte opaque data
    with a `dtype` attribute).

    Args:
        backbone: our backbone (sharing "all").
        path: the file to write.

    Returns:
        The number of variables written.
    """
    slots = keras_hub_slots(backbone)
    with h5py.File(path, "w") as f:
        f.create_group("vars").attrs["name"] = backbone.name
        for slot in slots:
            for group, name in h5_layer_names(slot):
                vars_path = f"{group}/vars"
                if vars_path not in f:
                    f.create_group(vars_path).attrs["name"] = name
            value = slot.from_ours(keras.ops.convert_to_numpy(slot.variable.value))
            if str(value.dtype) == "bfloat16":
                f.create_dataset(slot.h5_path, data=value.view(np.dtype("V2"))).attrs["dtype"] = "bfloat16"
            else:
                f.create_dataset(slot.h5_path, data=value)
    return len(slots)


def _keras_hub_version():
    try:
        return importlib.metadata.version("keras-hub")
    except importlib.metadata.PackageNotFoundError:
        return None


def _serialized(module, class_name, config, registered_name):
    return {"module": module, "class_name": class_name, "config": config, "registered_name": registered_name}


def to_keras_hub(model_dir: str, output: str) -> str:
    """Writes our model directory as a KerasHub ALBERT preset directory.

    `keras_hub.models.AlbertBackbone.from_preset(output)` and
    `keras_hub.models.AlbertTokenizer.from_preset(output)` load it. A task
    model directory exports its backbone only (with a warning). Our
    tokenizer options (lowercase, strip_accents) and the backbone settings
    KerasHub lacks (`attention_dropout`, `initializer_range`,
    `output_hidden_states`) go into metadata.json under "albert_keras", so
    `from_keras_hub` restores them.

    Args:
        model_dir: our model directory.
        output: the preset directory to write (created).

    Returns:
        The path of the written `model.weights.h5`.

    Raises:
        ValueError: naming what KerasHub's AlbertBackbone or AlbertTokenizer
            cannot represent: `sharing` other than "all", an `activation`
            other than "gelu_approximate", a `layer_norm_epsilon` other than
            1e-12, a WordPiece `vocab.txt`.
    """
    config = read_config(model_dir)
    if os.path.isfile(os.path.join(model_dir, WORDPIECE_FILE)) and spm_path(model_dir) is None:
        raise ValueError(
            f"{os.path.join(model_dir, WORDPIECE_FILE)}: KerasHub's AlbertTokenizer is SentencePiece only, so a "
            "model directory with a WordPiece vocabulary cannot be written as a KerasHub ALBERT preset."
        )
    model = load_model_dir(model_dir)
    if config["class_name"] != "AlbertBackbone":
        logger.warning("%s is an %s: writing its backbone only; its task heads are NOT exported.",
                       model_dir, config["class_name"])
        model = model.backbone
    hub_config, extra = keras_hub_config_from_backbone(model, keras.dtype_policies.serialize(model.dtype_policy))
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(_serialized(BACKBONE_MODULE, "AlbertBackbone", hub_config, BACKBONE_REGISTERED_NAME), f, indent=4)
    weights = os.path.join(output, WEIGHTS_FILE)
    count = write_weights_h5(model, weights)
    ours: dict[str, Any] = {"backbone_config": extra, "source": os.path.abspath(model_dir)}
    spm = spm_path(model_dir)
    if spm is not None:
        options = vocab.tokenizer_options(model_dir)
        ours["tokenizer_options"] = options
        if options["lowercase"] or options["strip_accents"]:
            logger.warning(
                "%s's tokenizer lowercases=%s / strips accents=%s; KerasHub's AlbertTokenizer does neither, so "
                "normalize text before it (the options are kept in metadata.json).",
                model_dir, options["lowercase"], options["strip_accents"],
            )
        tokenizer = {
            "name": "albert_tokenizer",
            "trainable": True,
            "dtype": keras.dtype_policies.serialize(keras.DTypePolicy("int32")),
            "config_file": TOKENIZER_FILE,
            "proto": None,
        }
        with open(os.path.join(output, TOKENIZER_FILE), "w", encoding="utf-8") as f:
            json.dump(_serialized(TOKENIZER_MODULE, "AlbertTokenizer", tokenizer, TOKENIZER_REGISTERED_NAMES[0]),
                      f, indent=4)
        assets = os.path.join(output, ASSETS_DIR, TOKENIZER_FILE.split(".")[0])
        os.makedirs(assets, exist_ok=True)
        shutil.copyfile(spm, os.path.join(assets, SPM_ASSET))
    else:
        logger.warning("%s has no spiece.model: the preset gets no tokenizer.", model_dir)
    metadata = {
        "keras_version": keras.version(),
        "keras_hub_version": _keras_hub_version(),
        "parameter_count": int(model.count_params()),
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "tasks": _TASKS,
        METADATA_KEY: ours,
    }
    with open(os.path.join(output, METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump(metadata, f, indent=4)
    logger.info("wrote KerasHub preset %s (%d weights)", output, count)
    return weights
