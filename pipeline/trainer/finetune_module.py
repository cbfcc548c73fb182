"""Trainer module of the fine-tuning pipeline: `run_fn` calls `run_finetuning`.

The input is the raw examples (`text`, `label`) of TextExampleGen; they are
written as JSONL files (`albert_keras` fine-tuning reads files) and
`run_finetuning` trains an `AlbertClassifier` from `fn_args.base_model`
(an albert model dir, or a Model artifact that holds one). `custom_config`:

    albert:          the pipeline's `trainer.albert` FinetuneConfig as a dict,
                     less data and distribution (set here; model.init is
                     the base model)
    labels:          the class names, in id order
    sequence_length: T
    strategy, tpu:   distribution settings
"""

import copy
import json
import os
from typing import Any

import tensorflow as tf

from albert_keras.training.finetune import run_finetuning
from pipeline import features, remote
from pipeline.trainer import model_artifact


def _input_fn(files, output_path):
    """Writes the raw examples of `files` as JSONL for `run_finetuning`; returns the count."""
    count = 0
    os.makedirs(os.path.dirname(output_path), exist_ok=True)
    with open(output_path, "w", encoding="utf-8") as out:
        for path in sorted(f for pattern in files for f in tf.io.gfile.glob(pattern)):
            compression = "GZIP" if path.endswith(".gz") else ""
            for record in tf.data.TFRecordDataset(path, compression_type=compression).as_numpy_iterator():
                feats = tf.train.Example.FromString(record).features.feature
                text = feats[features.TEXT].bytes_list.value
                label = feats[features.LABEL].bytes_list.value
                if not text or not label:
                    raise ValueError(f"{path}: an example without text or label reached the Trainer")
                row = {features.TEXT: text[0].decode("utf-8"), features.LABEL: label[0].decode("utf-8")}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    if not count:
        raise ValueError(f"No examples in {files}")
    return count


def _build_config(fn_args, run_dir):
    """The albert_keras `FinetuneConfig` dict for this Trainer run (in local `run_dir`)."""
    custom = fn_args.custom_config or {}
    if not fn_args.base_model:
        raise ValueError("The fine-tuning Trainer needs base_model (the pretrained model)")
    base = model_artifact.local_model_dir(fn_args.base_model, work_dir=run_dir)
    data_dir = os.path.join(run_dir, "data")
    train_file = os.path.join(data_dir, "train.jsonl")
    _input_fn(fn_args.train_files, train_file)
    config = copy.deepcopy(custom.get("albert") or {})
    config.setdefault("task", {})["name"] = "classification"
    config.setdefault("model", {})["init"] = base
    config.setdefault("training", {})
    config["training"]["run_dir"] = run_dir
    config["training"]["train_steps"] = int(fn_args.train_steps)
    config["data"] = {
        "train_file": train_file,
        "sequence_length": int(custom["sequence_length"]),
        "labels": list(custom["labels"]),
    }
    if fn_args.eval_files:
        eval_file = os.path.join(data_dir, "eval.jsonl")
        _input_fn(fn_args.eval_files, eval_file)
        config["data"]["eval_file"] = eval_file
    config["distribution"] = {"strategy": custom.get("strategy", "default"), "tpu": custom.get("tpu")}
    return config


def run_fn(fn_args: Any) -> None:
    """Fine-tunes with albert_keras, then writes the model dir and the serving SavedModel.

    With a remote (gs://) ModelRun the run dir is local and the chief uploads it at the end.
    """
    run_dir = remote.local_dir_for(fn_args.model_run_dir, prefix="albert_run_")
    config = _build_config(fn_args, run_dir)
    result = run_finetuning(config, fresh=True)
    if result.chief:
        if run_dir != fn_args.model_run_dir:
            remote.upload_dir(run_dir, fn_args.model_run_dir)
        model_artifact.save_outputs(
            result.model_dir, fn_args.serving_model_dir, sequence_length=config["data"]["sequence_length"]
        )
    else:  # a non-chief worker of a multi-worker run: the TFX Trainer wants the chief's export
        model_artifact.wait_for_chief_export(fn_args.serving_model_dir)
