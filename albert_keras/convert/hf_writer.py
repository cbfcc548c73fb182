"""Exports a model directory as a HF transformers ALBERT directory."""

import json
import logging
import os
import shutil

import numpy as np
from safetensors.numpy import save_file

from albert_keras.convert.config import hf_config_from_backbone
from albert_keras.convert.name_map import BACKBONE, POOLER, model_slots
from albert_keras.model_dir import load_model_dir, read_config, spm_path
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.pretrainer import AlbertPretrainer

logger = logging.getLogger("albert_keras.convert")

_PREFIX = "albert."


def hf_tensors(model: AlbertPretrainer | AlbertBackbone) -> tuple[dict[str, np.ndarray], str]:
    """The PyTorch-named, PyTorch-layout numpy tensors of our model.

    An `AlbertPretrainer` gives `AlbertForPreTraining` names (`albert.`
    prefix, `predictions.*` with `predictions.decoder.bias` equal to
    `predictions.bias`, `sop_classifier.*`); the tied decoder weight is
    left out, as HF's own `save_pretrained` does. An `AlbertBackbone` gives
    `AlbertModel` names (no prefix).

    Returns:
        `(tensors, architecture)`.
    """
    slots = model_slots(model)
    with_heads = isinstance(model, AlbertPretrainer)
    tensors = {}
    for slot in slots:
        name = slot.name("hf")
        if with_heads and slot.part in (BACKBONE, POOLER):
            name = _PREFIX + name
        # HF configs say torch_dtype float32; bfloat16/float16 variables are widened exactly.
        tensors[name] = slot.from_ours("hf", np.asarray(slot.variable.numpy(), dtype="float32"))
    if with_heads:
        tensors["predictions.decoder.bias"] = tensors["predictions.bias"].copy()
    return tensors, ("AlbertForPreTraining" if with_heads else "AlbertModel")


def _tokenizer_files(output, tokenizer_options, max_length):
    options = {"lowercase": True, "strip_accents": True}
    options.update(tokenizer_options or {})
    special = {
        "bos_token": "[CLS]",
        "eos_token": "[SEP]",
        "unk_token": "<unk>",
        "sep_token": "[SEP]",
        "pad_token": "<pad>",
        "cls_token": "[CLS]",
        "mask_token": {"content": "[MASK]", "lstrip": True, "rstrip": False, "normalized": False,
                       "single_word": False},
    }
    config = dict(
        special,
        tokenizer_class="AlbertTokenizer",
        do_lower_case=bool(options["lowercase"]),
        keep_accents=not bool(options["strip_accents"]),
        remove_space=True,
        model_max_length=max_length,
    )
    with open(os.path.join(output, "tokenizer_config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(output, "special_tokens_map.json"), "w") as f:
        json.dump(special, f, indent=2)


def to_hf(input_dir: str, output: str) -> str:
    """Exports a model directory to what HF's `AlbertForPreTraining.from_pretrained` loads.

    Writes `config.json` (model_type "albert", architectures),
    `model.safetensors` (PyTorch names and `[out, in]` Linear layouts,
    metadata format "pt") and, when the model directory has a vocabulary,
    `spiece.model`, `tokenizer_config.json` and `special_tokens_map.json`.

    An `AlbertPretrainer` becomes `AlbertForPreTraining`, an
    `AlbertBackbone` `AlbertModel`. Other tasks export their backbone only
    (as `AlbertModel`; their heads have no HF ALBERT counterpart here), with
    a warning.

    Args:
        input_dir: our model directory.
        output: the HF directory to write (created).

    Returns:
        The path of the written `model.safetensors`.
    """
    config = read_config(input_dir)
    model = load_model_dir(input_dir)
    if config["class_name"] not in ("AlbertPretrainer", "AlbertBackbone"):
        logger.warning("%s is an %s: exporting its backbone only (AlbertModel); its task heads are NOT exported.",
                       input_dir, config["class_name"])
        model = model.backbone
    tensors, architecture = hf_tensors(model)
    backbone = model if architecture == "AlbertModel" else model.backbone
    hf_config = hf_config_from_backbone(backbone.get_config(), architecture)
    os.makedirs(output, exist_ok=True)
    with open(os.path.join(output, "config.json"), "w") as f:
        json.dump(hf_config, f, indent=2)
    weights = os.path.join(output, "model.safetensors")
    save_file(tensors, weights, metadata={"format": "pt"})
    spm = spm_path(input_dir)
    if spm is not None:
        shutil.copyfile(spm, os.path.join(output, "spiece.model"))
        options = None
        tokenizer_json = os.path.join(input_dir, "tokenizer.json")
        if os.path.isfile(tokenizer_json):
            with open(tokenizer_json) as f:
                options = json.load(f)
        _tokenizer_files(output, options, backbone.max_sequence_length)
    else:
        logger.warning("%s has no spiece.model: the HF directory gets no tokenizer.", input_dir)
    logger.info("wrote %s (%d tensors, %s)", output, len(tensors), architecture)
    return weights
