"""Layout of the Trainer's Model artifact and the serving export.

    <model uri>/Format-Serving/   the TF Serving SavedModel (what Pusher pushes
                                  and TFMA runs), from `export_saved_model`
    <model uri>/AlbertModelDir/   the albert_keras model dir (config.json,
                                  model.weights.h5, spiece.model or vocab.txt): the MLM
                                  evaluator and fine-tuning read it
"""

import os
import shutil
import time

import tensorflow as tf

from albert_keras import convert
from albert_keras.export import export_saved_model
from pipeline import remote

MODEL_DIR_NAME = "AlbertModelDir"
CHIEF_EXPORT_TIMEOUT_S = 3600.0  # how long a non-chief worker waits for the chief's export


def model_dir_of(serving_model_dir: str) -> str:
    """The albert model dir next to a Trainer's `serving_model_dir`."""
    return os.path.join(remote.parent(serving_model_dir), MODEL_DIR_NAME)


def resolve_model_dir(path: str, work_dir: str | None = None) -> str:
    """An albert model dir from a model dir, a Model artifact uri or its Format-Serving dir.

    An imported plain model dir reaches the Trainer as ``<dir>/Format-Serving``
    (TFX's `serving_model_path`), hence the parent candidate. `path` may be
    remote (gs://); the answer is then remote too (see `local_model_dir`).
    An imported local SavedModel export (a pushed pretrained model) is
    converted to a model dir under `work_dir`
    (`albert_keras.convert.from_serving_export`).
    """
    for candidate in (path, os.path.join(path, MODEL_DIR_NAME), model_dir_of(path), remote.parent(path)):
        if tf.io.gfile.exists(os.path.join(candidate, "config.json")):
            return candidate
    for candidate in (path, remote.parent(path)):
        if convert.is_serving_export(candidate) and work_dir is not None:
            output = os.path.join(work_dir, "base_model")
            convert.from_serving_export(candidate, output)
            return output
    raise FileNotFoundError(
        f"{path!r} is neither an albert model dir (config.json), a SavedModel export with assets.extra/model.keras "
        f"nor a Model artifact holding {MODEL_DIR_NAME}/"
    )


def local_model_dir(path: str, work_dir: str | None = None) -> str:
    """`resolve_model_dir(path, work_dir)`, copied to a local temp dir when remote (albert_keras reads local files)."""
    return remote.local_copy(resolve_model_dir(path, work_dir), prefix="albert_model_")


def save_outputs(trained_model_dir: str, serving_model_dir: str, sequence_length: int, top_k: int = 5) -> str:
    """Copies the trained model dir into the Model artifact and exports the SavedModel.

    A remote (gs://) artifact is written in a local staging dir first and
    then uploaded: the model dir, then the SavedModel (its saved_model.pb is
    what non-chief workers wait for).

    Args:
        trained_model_dir: `run_pretraining`/`run_finetuning`'s RUN_DIR/model.
        serving_model_dir: `fn_args.serving_model_dir`.
        sequence_length: T of the serving signatures.
        top_k: K of `fill_mask`.

    Returns:
        The model dir in the artifact (`model_dir_of(serving_model_dir)`).
    """
    target = model_dir_of(serving_model_dir)
    with remote.writable_dir(target, prefix="albert_model_") as local_target:
        if os.path.isdir(local_target):
            shutil.rmtree(local_target)
        shutil.copytree(trained_model_dir, local_target)
    with remote.writable_dir(serving_model_dir, prefix="albert_serving_") as local_serving:
        # the copy, not the remote dir: the exporter reads the model dir with local file calls
        source = local_target if not remote.is_remote(target) else trained_model_dir
        export_saved_model(source, local_serving, top_k=top_k, sequence_length=sequence_length, overwrite=True)
    return target


def wait_for_chief_export(
    serving_model_dir: str, timeout_s: float = CHIEF_EXPORT_TIMEOUT_S, poll_s: float = 10.0
) -> None:
    """Blocks a non-chief worker until the chief's SavedModel is in `serving_model_dir`.

    Under MultiWorkerMirroredStrategy (a Vertex AI CustomJob with several
    replicas) every worker runs the Trainer's `run_fn`, and the TFX Trainer
    fails a worker whose `serving_model_dir` does not exist when `run_fn`
    returns. Only the chief exports, so the others wait for its
    ``saved_model.pb`` (the shared gs:// artifact uri).

    Args:
        serving_model_dir: `fn_args.serving_model_dir`.
        timeout_s: seconds to wait.
        poll_s: seconds between looks.

    Raises:
        TimeoutError: no ``saved_model.pb`` appeared within `timeout_s`.
    """
    target = os.path.join(serving_model_dir, "saved_model.pb")
    deadline = time.monotonic() + timeout_s
    while not tf.io.gfile.exists(target):
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"The chief wrote no SavedModel to {serving_model_dir!r} within {timeout_s:.0f} s "
                f"(this worker finished training; see the chief's log)"
            )
        time.sleep(poll_s)
