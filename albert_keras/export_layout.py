"""Where an export keeps what, read without importing TensorFlow.

`albert_keras.export` writes these paths; `albert_keras.convert.saved_model`
and the pipeline's config checks (which must stay TF-free) read them. A
serving base dir (what a Pusher pushes to) holds one export per numeric
version.
"""

import os
from collections.abc import Callable

SAVED_MODEL_FILE = "saved_model.pb"
KERAS_FILE = os.path.join("assets.extra", "model.keras")  # the full Keras task model
INFO_FILE = os.path.join("assets.extra", "export.json")  # what was exported (signatures, T, tokenizer)


def is_saved_model(directory: str) -> bool:
    """Whether `directory` holds a SavedModel (`saved_model.pb`)."""
    return os.path.isfile(os.path.join(directory, SAVED_MODEL_FILE))


def newest_version(directory: str, accept: Callable[[str], bool] = is_saved_model) -> str | None:
    """The highest numeric version dir under `directory` that `accept`s, or None.

    Args:
        directory: a serving base dir (numeric version dirs), or anything else.
        accept: which version dirs count (default: those holding a SavedModel).
    """
    if not os.path.isdir(directory):
        return None
    versions = [int(n) for n in os.listdir(directory) if n.isdigit() and os.path.isdir(os.path.join(directory, n))]
    for version in sorted(versions, reverse=True):
        candidate = os.path.join(directory, str(version))
        if accept(candidate):
            return candidate
    return None
