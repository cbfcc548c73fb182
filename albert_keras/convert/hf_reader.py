"""Reads HF transformers ALBERT directories (PyTorch names, safetensors)."""

import json
import logging
import os
from typing import Any

import numpy as np
from safetensors.numpy import load_file

from albert_keras.convert.assign import load_tensors
from albert_keras.convert.config import backbone_config_from_json
from albert_keras.model_dir import save_model_dir
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.pretrainer import AlbertPretrainer

logger = logging.getLogger("albert_keras.convert")

SAFETENSORS_FILE = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
_PREFIX = "albert."
# Non-persistent buffers that older checkpoints still hold.
_BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")
_TIED_DECODER = "predictions.decoder.weight"
_DECODER_BIAS = "predictions.decoder.bias"
_BIAS = "predictions.bias"


def read_safetensors(directory: str) -> dict[str, np.ndarray]:
    """Reads `model.safetensors` (or its shards) with `safetensors.numpy`; no torch."""
    single = os.path.join(directory, SAFETENSORS_FILE)
    index = os.path.join(directory, SAFETENSORS_INDEX)
    if os.path.isfile(single):
        files = [single]
    elif os.path.isfile(index):
        with open(index) as f:
            files = sorted({os.path.join(directory, v) for v in json.load(f)["weight_map"].values()})
    else:
        others = [n for n in ("pytorch_model.bin", "tf_model.h5") if os.path.isfile(os.path.join(directory, n))]
        extra = f" It has {others}: re-save it with safe_serialization=True (needs torch) first." if others else ""
        raise ValueError(f"{directory!r} has no {SAFETENSORS_FILE} or {SAFETENSORS_INDEX}.{extra}")
    tensors = {}
    for file in files:
        try:
            tensors.update(load_file(file))
        except Exception as e:  # safetensors raises its own error types
            raise ValueError(f"Cannot read {file!r} (truncated or corrupt?): {type(e).__name__}: {e}") from e
    return tensors


def normalize_names(tensors: dict[str, np.ndarray], source: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """Strips the `albert.` prefix, drops buffers, and folds the tied decoder.

    `predictions.decoder.weight` must equal the word embeddings (we tie
    them) and `predictions.decoder.bias` must equal `predictions.bias`.

    Returns:
        `(tensors, dropped)`: normalized dict, and the names dropped.
    """
    out, dropped = {}, []
    for name, value in tensors.items():
        key = name[len(_PREFIX):] if name.startswith(_PREFIX) else name
        if key in out:
            raise ValueError(f"{source} holds {key!r} both with and without the {_PREFIX!r} prefix.")
        out[key] = value
    for key in _BUFFERS:
        if key in out:
            out.pop(key)
            dropped.append(key)
    if _TIED_DECODER in out:
        decoder = out.pop(_TIED_DECODER)
        words = out.get("embeddings.word_embeddings.weight")
        if words is None or decoder.shape != words.shape or not np.array_equal(decoder, words):
            raise ValueError(
                f"{source}: {_TIED_DECODER} differs from the word embeddings; albert_keras ties the MLM "
                "decoder to the token embedding and cannot load an untied decoder."
            )
        dropped.append(_TIED_DECODER)
    if _DECODER_BIAS in out:
        decoder_bias = out.pop(_DECODER_BIAS)
        if _BIAS in out and not np.array_equal(out[_BIAS], decoder_bias):
            raise ValueError(f"{source}: {_DECODER_BIAS} differs from {_BIAS}; HF ties them.")
        out.setdefault(_BIAS, decoder_bias)
        dropped.append(_DECODER_BIAS)
    return out, dropped


def read_tokenizer_options(directory: str) -> dict[str, Any]:
    """Our tokenizer options from HF `tokenizer_config.json` (AlbertTokenizer defaults)."""
    options = {"lowercase": True, "strip_accents": True}
    file = os.path.join(directory, "tokenizer_config.json")
    if os.path.isfile(file):
        with open(file) as f:
            hf = json.load(f)
        options["lowercase"] = bool(hf.get("do_lower_case", True))
        options["strip_accents"] = not bool(hf.get("keep_accents", False))
    return options


def from_hf(
    input_dir: str, output: str | None = None, allow_random_init: bool = False, backbone_only: bool = False
) -> AlbertPretrainer | AlbertBackbone:
    """Converts a HF transformers ALBERT directory (PyTorch naming, safetensors).

    Reads `config.json`, `model.safetensors` (via `safetensors.numpy`; no
    torch) and `spiece.model`. Covers `AlbertModel`, `AlbertForPreTraining`
    and `AlbertForMaskedLM` names, with or without the `albert.` prefix.
    `AlbertForMaskedLM` has no pooler and no SOP head: converting it needs
    `allow_random_init=True`, which leaves those at random init and names
    them in a warning.

    Args:
        input_dir: the HF model directory.
        output: when given, the model directory to write.
        allow_random_init: leave a missing pooler or head at random init.
        backbone_only: drop the heads; return an `AlbertBackbone`.

    Returns:
        An `AlbertPretrainer` (heads present) or an `AlbertBackbone`.

    Raises:
        ValueError: naming every unmapped or missing tensor and every shape
            that disagrees with `config.json`.
    """
    config_file = os.path.join(input_dir, "config.json")
    if not os.path.isfile(config_file):
        raise ValueError(f"{input_dir!r} is not a HF model directory: it has no config.json.")
    with open(config_file) as f:
        hf_config = json.load(f)
    backbone_config = backbone_config_from_json(hf_config, "hf")
    tensors, buffers = normalize_names(read_safetensors(input_dir), input_dir)
    logger.info("read %d tensors from %s", len(tensors), input_dir)
    model, report = load_tensors(
        backbone_config, tensors, "hf", input_dir, allow_random_init=allow_random_init, backbone_only=backbone_only
    )
    if output is not None:
        spm = os.path.join(input_dir, "spiece.model")
        has_spm = os.path.isfile(spm)
        if not has_spm:
            logger.warning("%s has no spiece.model: the model directory gets no vocabulary.", input_dir)
        metadata = {
            "source": "HF transformers directory",
            "input": os.path.abspath(input_dir),
            "architectures": hf_config.get("architectures"),
            "converted_variables": len(report["loaded"]),
        "transposed_variables": report["transposed"],
            "random_init": report["random_init"],
            "dropped": report["dropped"] + buffers,
        }
        save_model_dir(
            model,
            output,
            spm_path=spm if has_spm else None,
            tokenizer_options=read_tokenizer_options(input_dir) if has_spm else None,
            metadata=metadata,
        )
    return model
