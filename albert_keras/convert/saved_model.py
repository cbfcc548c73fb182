"""Our TF Serving exports back into model directories.

`albert export` (and the pipelines' Pusher) write a SavedModel whose
``assets.extra/model.keras`` is the full Keras task model and whose
``assets/`` holds the vocabulary (``spiece.model`` or ``vocab.txt``), with
the tokenizer options in ``assets.extra/export.json``. A Pusher's serving
directory holds one such export per numeric version. Both convert to a model
directory, so a pushed model can be fine-tuned or loaded by handle:

    AlbertClassifier.from_preset("runs/serving/albert_zh_reviews_mlm", num_classes=2)

loads the newest pushed version's backbone. The `.keras` file loads with
`safe_mode=True` (no lambdas, no pickle).
"""

import json
import os

import keras

from albert_keras import export_layout
from albert_keras.export_layout import INFO_FILE, KERAS_FILE
from albert_keras.model_dir import save_model_dir
from albert_keras.tokenizer import loading

_VOCABULARIES = (("spiece.model", loading.SENTENCEPIECE), ("vocab.txt", loading.WORDPIECE))


def is_serving_export(directory: str) -> bool:
    """Whether `directory` is a SavedModel written by our exporter (with its Keras model)."""
    return export_layout.is_saved_model(directory) and os.path.isfile(os.path.join(directory, KERAS_FILE))


def newest_version(directory: str) -> str | None:
    """The newest version dir (the highest number) of a serving base dir that is an export, or None."""
    return export_layout.newest_version(directory, is_serving_export)


def is_serving_versions(directory: str) -> bool:
    """Whether `directory` is a serving base dir (numeric versions) holding at least one export."""
    return not is_serving_export(directory) and newest_version(directory) is not None


def from_serving_export(directory: str, output: str) -> keras.Model:
    """Converts one export (or the newest version of a serving base dir) to a model directory.

    Args:
        directory: an export dir (``saved_model.pb``, ``assets.extra/model.keras``)
            or a serving base dir of numeric versions.
        output: the model directory to write.

    Returns:
        The loaded task model.

    Raises:
        ValueError: no export there, no vocabulary in its ``assets/``, or a
            Keras file that is not an albert_keras model.
    """
    export = directory if is_serving_export(directory) else newest_version(directory)
    if export is None:
        raise ValueError(
            f"`directory` must be a SavedModel export with {KERAS_FILE} or a serving dir of numeric versions "
            f"holding one. Received: {directory!r}"
        )
    vocabulary = None
    for name, kind in _VOCABULARIES:
        path = os.path.join(export, "assets", name)
        if os.path.isfile(path):
            vocabulary = path, kind
            break
    if vocabulary is None:
        raise ValueError(f"The export {export!r} has no vocabulary in assets/ (spiece.model or vocab.txt)")
    options = {}
    info_path = os.path.join(export, INFO_FILE)
    if os.path.isfile(info_path):
        with open(info_path, encoding="utf-8") as f:
            tokenizer = json.load(f).get("tokenizer") or {}
        options = {k: tokenizer[k] for k in ("lowercase", "strip_accents") if k in tokenizer}
    if vocabulary[1] == loading.WORDPIECE:
        options["kind"] = loading.WORDPIECE
    model = keras.saving.load_model(os.path.join(export, KERAS_FILE), safe_mode=True)
    save_model_dir(
        model, output, vocab_path=vocabulary[0], tokenizer_options=options or None,
        metadata={"converted_from": os.path.abspath(export)},
    )
    return model
