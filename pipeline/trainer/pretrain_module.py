"""Trainer module of the pretraining pipeline: `run_fn` calls `run_pretraining`.

The input is the PretrainingExamplesGen artifact (static records with the
original feature names, or unmasked dynamic records that the Trainer masks
anew every pass, plus the vocabulary copied beside them); the model and the
loop are albert_keras's (`albert_keras.training.run_pretraining`).
`custom_config`:

    albert:       the pipeline's `trainer.albert` PretrainConfig as a dict, less
                  the sections the run sets here (data, distribution)
    strategy:     distribution.strategy ("default", "mirrored", "tpu", ...)
    tpu:          distribution.tpu, for strategy tpu
    masking, sequence_length, max_predictions: what the examples hold
    masked_lm_prob, max_ngram: the masking of dynamic records
    distill_from: a teacher model dir, or None; when set the run distils the
                  student (albert.model) from it (albert.distill: weights)
"""

import copy
import os
from typing import Any

import tensorflow as tf

from albert_keras.tokenizer import loading
from albert_keras.training.pretrain import run_pretraining
from pipeline import remote
from pipeline.trainer import model_artifact

VOCAB_SUBDIR = "vocab"  # pipeline.components.pretraining_examples.VOCAB_SUBDIR


def _examples_root(files):
    """The examples artifact uri from `fn_args.train_files` (``uri/Split-train/*``)."""
    return os.path.dirname(os.path.dirname(files[0]))


def _input_files(fn_args):
    """The record globs and the vocabulary of the examples artifact."""
    if not fn_args.train_files:
        raise ValueError("The Trainer got no train files")
    vocab_uri = os.path.join(_examples_root(fn_args.train_files), VOCAB_SUBDIR)
    vocab_dir = vocab_uri  # a gs:// vocabulary is copied here: the tokenizers read local files
    if remote.is_remote(vocab_uri) and tf.io.gfile.isdir(vocab_uri):
        vocab_dir = remote.local_copy(vocab_uri, prefix="albert_vocab_")
    if not loading.has_vocabulary(vocab_dir):
        raise FileNotFoundError(
            f"The pretraining examples carry no vocabulary (spiece.model or vocab.txt) at {vocab_uri!r}"
        )
    return list(fn_args.train_files), list(fn_args.eval_files or []), vocab_dir


def _build_config(fn_args, run_dir):
    """The albert_keras `PretrainConfig` dict for this Trainer run (in local `run_dir`)."""
    custom = fn_args.custom_config or {}
    masking = custom.get("masking", "static")
    if masking not in ("static", "dynamic"):
        raise ValueError(f"custom_config masking must be 'static' or 'dynamic', got {masking!r}")
    train_files, eval_files, vocab_dir = _input_files(fn_args)
    config = copy.deepcopy(custom.get("albert") or {})
    config.setdefault("training", {})
    config["training"]["run_dir"] = run_dir
    config["training"]["train_steps"] = int(fn_args.train_steps)
    if fn_args.eval_steps:
        config["training"]["eval_steps"] = int(fn_args.eval_steps)
    config["data"] = {
        "source": "records",
        "train_files": train_files,
        "eval_files": eval_files,
        "spm": vocab_dir,
        "sequence_length": int(custom["sequence_length"]),
        "max_predictions": int(custom["max_predictions"]),
        # Static records keep their masks; dynamic ones are masked anew every pass.
        "dynamic_masking": masking == "dynamic",
        "masking_probability": float(custom.get("masked_lm_prob", 0.15)),
        "max_ngram": int(custom.get("max_ngram", 3)),
    }
    if custom.get("distill_from"):
        config["distill"] = {**(config.get("distill") or {}), "teacher": custom["distill_from"]}
    config["distribution"] = {"strategy": custom.get("strategy", "default"), "tpu": custom.get("tpu")}
    return config


def run_fn(fn_args: Any) -> None:
    """Pretrains with albert_keras, then writes the model dir and the serving SavedModel.

    With a remote (gs://) ModelRun the run dir is local and the chief uploads
    it at the end (the run starts fresh in every case, so nothing resumes
    from it).
    """
    run_dir = remote.local_dir_for(fn_args.model_run_dir, prefix="albert_run_")
    config = _build_config(fn_args, run_dir)
    result = run_pretraining(config, fresh=True)
    if result.chief:
        if run_dir != fn_args.model_run_dir:
            remote.upload_dir(run_dir, fn_args.model_run_dir)
        model_artifact.save_outputs(
            result.model_dir, fn_args.serving_model_dir, sequence_length=config["data"]["sequence_length"]
        )
    else:  # a non-chief worker of a multi-worker run: the TFX Trainer wants the chief's export
        model_artifact.wait_for_chief_export(fn_args.serving_model_dir)
