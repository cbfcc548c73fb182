"""`export_saved_model`: a task model (or model directory) to a TF Serving SavedModel.

Layout of `output_dir` (one TF Serving version directory, e.g. `BASE/1`):

    saved_model.pb, variables/, fingerprint.pb
    assets/spiece.model                      the SentencePiece model, or
    assets/vocab.txt                         the WordPiece vocabulary (as the model dir has)
    assets/labels.txt                        classifiers: one label per line
    assets.extra/tf_serving_warmup_requests  PredictionLog TFRecord
    assets.extra/model.keras                 the full Keras task model
    assets.extra/export.json                 what was exported (signatures, T, K, ...)

The SavedModel is written to a temporary sibling directory, checked against
the op allowlist, and only then renamed to `output_dir`, so a model server
polling `BASE/` never sees a partial version.
"""

import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

import albert_keras.export.module as m
from albert_keras.export.op_allowlist import check_ops, prefetch_core_ops
from albert_keras.export.warmup import WARMUP_DIR, write_warmup
from albert_keras.model_dir import load_model_dir
from albert_keras.model_dir import vocab_path as model_dir_vocab
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.preprocessing.preprocessor import AlbertPreprocessor
from albert_keras.tokenizer import loading

SPM_ASSET = "spiece.model"
WORDPIECE_ASSET = "vocab.txt"
LABELS_ASSET = "labels.txt"
KERAS_FILE = "model.keras"
EXPORT_INFO = "export.json"
DEFAULT_KERAS = "default"


def export_saved_model(
    model_or_dir: str | os.PathLike | keras.Model,
    output_dir: str,
    spm_path: str | None = None,
    top_k: int = 5,
    sequence_length: int | None = None,
    tokenizer_options: dict[str, bool] | None = None,
    keras_output: str | os.PathLike | bool | None = DEFAULT_KERAS,
    overwrite: bool = False,
    check: bool = True,
) -> str:
    """Exports an ALBERT model with in-graph tokenization for TF Serving.

    Args:
        model_or_dir: a model directory (`save_model_dir` output) or an
            in-memory task model (`AlbertPretrainer`: fill_mask;
            `AlbertClassifier`: classify or regress; `AlbertQuestionAnswerer`:
            answer_question; `AlbertTokenClassifier`: tag;
            `AlbertMultipleChoice`: choose; all also embed) or an
            `AlbertBackbone` (embed only).
        output_dir: the SavedModel directory to create, normally
            `BASE/VERSION` with a numeric VERSION. It must not exist or be
            empty, unless `overwrite`.
        spm_path: the vocabulary: a `spiece.model`, a WordPiece `vocab.txt`
            or a vocabulary dir of either kind.
            Defaults to the model directory's vocabulary; required for an
            in-memory model. The tokenizer kind follows the files
            (`load_tokenizer`).
        top_k: K of `fill_mask`.
        sequence_length: T, the packed length (inputs are truncated to it).
            Defaults to the backbone's `max_sequence_length`; use the
            training T (e.g. 128) for faster serving.
        tokenizer_options: `{"lowercase": bool, "strip_accents": bool}`.
            Defaults to the `tokenizer.json` next to the vocabulary (model dir
            or vocab dir), else lowercase and strip accents.
        keras_output: where to write the full `.keras` model: "default"
            (`output_dir/assets.extra/model.keras`), a path, or None/False
            for none.
        overwrite: replace an existing non-empty `output_dir`.
        check: run `check_ops` (fail if an op is not in stock TF Serving).

    Returns:
        `output_dir`.
    """
    output_dir = os.fspath(output_dir)
    if check:
        prefetch_core_ops()  # a subprocess; runs while we trace
    vocabulary = spm_path
    if isinstance(model_or_dir, str | os.PathLike):
        model_dir = os.fspath(model_or_dir)
        model = load_model_dir(model_dir)
        if vocabulary is None:
            vocabulary = model_dir_vocab(model_dir)
            if vocabulary is None:
                raise ValueError(
                    f"Model directory {model_dir!r} has no vocabulary (spiece.model or vocab.txt); pass spm_path."
                )
    else:
        model = model_or_dir
        if vocabulary is None:
            raise ValueError("spm_path (the vocabulary) is required to export an in-memory model.")
    _check_output(output_dir, overwrite)

    options = dict(tokenizer_options or {})
    vocabulary = os.fspath(vocabulary)
    tokenizer = loading.load_tokenizer(
        vocabulary, lowercase=options.get("lowercase"), strip_accents=options.get("strip_accents")
    )
    tokenizer_kind = loading.tokenizer_kind(vocabulary)
    kind = m.model_kind(model)
    backbone = model if isinstance(model, AlbertBackbone) else model.backbone
    vocab_size = tokenizer.vocabulary_size()
    if vocab_size > backbone.vocabulary_size or (kind == m.PRETRAINER and vocab_size != backbone.vocabulary_size):
        raise ValueError(
            f"The vocabulary ({vocabulary}) has {vocab_size} tokens but the model's vocabulary_size is "
            f"{backbone.vocabulary_size}."
        )
    if sequence_length is None:
        sequence_length = backbone.max_sequence_length
    if not isinstance(sequence_length, int) or not 3 <= sequence_length <= backbone.max_sequence_length:
        raise ValueError(
            f"sequence_length must be an int in [3, {backbone.max_sequence_length}] (the model's "
            f"max_sequence_length), got {sequence_length!r}"
        )
    preprocessor = AlbertPreprocessor(tokenizer, sequence_length=sequence_length)
    serving = m.AlbertServingModule(model, preprocessor, top_k=top_k)

    parent = os.path.dirname(os.path.abspath(output_dir))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix="." + os.path.basename(os.path.abspath(output_dir)) + ".tmp-", dir=parent)
    try:
        _save(serving, staging, tokenizer, tokenizer_kind)
        if check:
            check_ops(staging)
        signature_inputs = serving.signature_inputs()
        write_warmup(staging, signature_inputs, serving.serving_default_method())
        info = {
            "task": type(model).__name__,
            "kind": kind,
            "signatures": sorted(serving.signatures_names),
            "signature_inputs": signature_inputs,
            "serving_default_method": serving.serving_default_method(),
            "sequence_length": sequence_length,
            "top_k": serving.top_k,
            "vocabulary_size": vocab_size,
            "tokenizer": {
                "kind": tokenizer_kind,
                "lowercase": tokenizer.lowercase,
                "strip_accents": tokenizer.strip_accents,
                "special_ids": {
                    name: getattr(tokenizer.special_ids, name) for name in ("pad", "unk", "cls", "sep", "mask")
                },
            },
            "class_labels": serving.labels,
            "padding": {
                "mask_positions": m.PAD_POSITION,
                "top_k_ids": m.PAD_ID,
                "top_k_tokens": m.PAD_TOKEN,
                "top_k_scores": m.PAD_SCORE,
            },
            "empty_text_b_means": "single segment (in the *_pair signatures)",
            "max_answer_length": serving.max_answer_length if kind == m.QUESTION_ANSWERER else None,
        }
        keras_path = None
        if keras_output == DEFAULT_KERAS:
            keras_path = os.path.join(staging, WARMUP_DIR, KERAS_FILE)
            info["keras_model"] = os.path.join(WARMUP_DIR, KERAS_FILE)
        elif keras_output:
            info["keras_model"] = os.path.abspath(os.fspath(keras_output))
        with open(os.path.join(staging, WARMUP_DIR, EXPORT_INFO), "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2, ensure_ascii=False)
        if keras_path:
            model.save(keras_path)
        if os.path.isdir(output_dir):
            shutil.rmtree(output_dir)
        os.rename(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if keras_output and keras_output != DEFAULT_KERAS:
        keras_output = os.fspath(keras_output)
        os.makedirs(os.path.dirname(os.path.abspath(keras_output)), exist_ok=True)
        model.save(keras_output)
    return output_dir


def _check_output(output_dir, overwrite):
    if os.path.isfile(output_dir):
        raise ValueError(f"Output {output_dir!r} is a file.")
    if os.path.isdir(output_dir) and os.listdir(output_dir) and not overwrite:
        raise ValueError(f"Output {output_dir!r} exists and is not empty (pass overwrite=True / --overwrite).")


def _save(serving, path, tokenizer, tokenizer_kind):
    """Saves the module with its signatures and assets, then fixes method names."""
    with tempfile.TemporaryDirectory() as assets:
        if tokenizer_kind == loading.SENTENCEPIECE:
            spm_file = os.path.join(assets, SPM_ASSET)
            with open(spm_file, "wb") as f:
                f.write(tokenizer.proto)
            serving.spm_asset = tf.saved_model.Asset(spm_file)
        else:
            wordpiece_file = os.path.join(assets, WORDPIECE_ASSET)
            with open(wordpiece_file, "w", encoding="utf-8", newline="\n") as f:
                f.write("".join(token + "\n" for token in tokenizer.vocabulary))
            serving.vocab_asset = tf.saved_model.Asset(wordpiece_file)
        if serving.labels is not None:
            labels_file = os.path.join(assets, LABELS_ASSET)
            with open(labels_file, "w", encoding="utf-8") as f:
                f.write("".join(label + "\n" for label in serving.labels))
            serving.labels_asset = tf.saved_model.Asset(labels_file)
        signatures = serving.signatures()
        serving.signatures_names = tuple(signatures)
        tf.saved_model.save(serving, path, signatures=signatures)
    set_method_name(path, m.SERVING_DEFAULT, serving.serving_default_method())


def set_method_name(saved_model_dir: str, signature_name: str, method_name: str) -> None:
    """Sets a SignatureDef's `method_name` in saved_model.pb (and refreshes fingerprint.pb).

    TF 2 saves every signature as a Predict signature; TF Serving's
    Classify/Regress APIs require the classify/regress method name.
    """
    pb_path = os.path.join(saved_model_dir, "saved_model.pb")
    with open(pb_path, "rb") as f:
        saved_model = saved_model_pb2.SavedModel.FromString(f.read())
    changed = False
    for meta_graph in saved_model.meta_graphs:
        signature = meta_graph.signature_def.get(signature_name)
        if signature is not None and signature.method_name != method_name:
            signature.method_name = method_name
            changed = True
    if not changed:
        return
    with open(pb_path, "wb") as f:
        f.write(saved_model.SerializeToString(deterministic=True))
    fingerprint_path = os.path.join(saved_model_dir, "fingerprint.pb")
    if os.path.exists(fingerprint_path):
        try:
            # A private TF module: imported here so that its absence only drops the fingerprint.
            from tensorflow.python.saved_model.pywrap_saved_model import fingerprinting

            with open(fingerprint_path, "wb") as f:
                f.write(fingerprinting.CreateFingerprintDef(saved_model_dir))
        except Exception:  # noqa: BLE001  (an old fingerprint is harmless; none is too)
            os.remove(fingerprint_path)
