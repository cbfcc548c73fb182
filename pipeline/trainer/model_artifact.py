"""Layout of the Trainer's Model artifact and the serving export.

    <model uri>/Format-Serving/   the TF Serving SavedModel (what Pusher pushes
                                  and TFMA runs), from `export_saved_model`
    <model uri>/AlbertModelDir/   the albert_keras model dir (config.json,
                                  model.weights.h5, spiece.model or vocab.txt): the MLM
                                  evaluator and fine-tuning read it
"""

import os
import shutil

from albert_keras import convert
from albert_keras.export import export_saved_model

MODEL_DIR_NAME = "AlbertModelDir"


def model_dir_of(serving_model_dir: str) -> str:
    """The albert model dir next to a Trainer's `serving_model_dir`."""
    return os.path.join(os.path.dirname(os.path.normpath(serving_model_dir)), MODEL_DIR_NAME)


def resolve_model_dir(path: str, work_dir: str | None = None) -> str:
    """An albert model dir from a model dir, a Model artifact uri or its Format-Serving dir.

    An imported plain model dir reaches the Trainer as ``<dir>/Format-Serving``
    (TFX's `serving_model_path`), hence the parent candidate. An imported
    SavedModel export (a pushed pretrained model) is converted to a model dir
    under `work_dir` (`albert_keras.convert.from_serving_export`).
    """
    parent = os.path.dirname(os.path.normpath(path))
    for candidate in (path, os.path.join(path, MODEL_DIR_NAME), model_dir_of(path), parent):
        if os.path.isfile(os.path.join(candidate, "config.json")):
            return candidate
    for candidate in (path, parent):
        if convert.is_serving_export(candidate) and work_dir is not None:
            output = os.path.join(work_dir, "base_model")
            convert.from_serving_export(candidate, output)
            return output
    raise FileNotFoundError(
        f"{path!r} is neither an albert model dir (config.json), a SavedModel export with assets.extra/model.keras "
        f"nor a Model artifact holding {MODEL_DIR_NAME}/"
    )


def save_outputs(trained_model_dir: str, serving_model_dir: str, sequence_length: int, top_k: int = 5) -> str:
    """Copies the trained model dir into the Model artifact and exports the SavedModel.

    Args:
        trained_model_dir: `run_pretraining`/`run_finetuning`'s RUN_DIR/model.
        serving_model_dir: `fn_args.serving_model_dir`.
        sequence_length: T of the serving signatures.
        top_k: K of `fill_mask`.
    """
    target = model_dir_of(serving_model_dir)
    if os.path.isdir(target):
        shutil.rmtree(target)
    shutil.copytree(trained_model_dir, target)
    export_saved_model(target, serving_model_dir, top_k=top_k, sequence_length=sequence_length, overwrite=True)
    return target
