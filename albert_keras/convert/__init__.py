"""Pretrained weights in and out: original TF1 and HF ALBERT checkpoints, KerasHub presets.

Public API:
    from_google_checkpoint(checkpoint, config, output=None, spm=None, ...):
        an original google-research TF1 checkpoint → our model (and model dir).
    from_brightmart(checkpoint_prefix, config, output=None, vocab=None, ...):
        a brightmart albert_zh TF1 checkpoint → our model (and model dir).
    brightmart_files(directory): the checkpoint prefix, config and vocab.txt
        in an unpacked albert_zh zip.
    from_hf(input_dir, output=None, ...): a HF transformers ALBERT directory
        (safetensors, PyTorch names) → our model (and model dir).
    to_hf(input_dir, output): our model directory → a HF directory that
        `AlbertForPreTraining.from_pretrained` loads.
    from_keras_hub(input_dir, output=None, ...): a KerasHub ALBERT preset
        directory → our `AlbertBackbone` (and model dir).
    to_keras_hub(model_dir, output): our model directory → a preset that
        `keras_hub.models.AlbertBackbone.from_preset` loads.
    from_serving_export(directory, output): our SavedModel export (or the
        newest version of a serving dir) → a model dir.
    backbone_config_from_json(config, source): original/HF config keys → ours.
"""

from albert_keras.convert.brightmart import brightmart_files, from_brightmart
from albert_keras.convert.config import backbone_config_from_json, hf_config_from_backbone
from albert_keras.convert.google import from_google_checkpoint
from albert_keras.convert.hf_reader import from_hf
from albert_keras.convert.hf_writer import to_hf
from albert_keras.convert.keras_hub import from_keras_hub, is_keras_hub_preset, to_keras_hub
from albert_keras.convert.saved_model import from_serving_export, is_serving_export, is_serving_versions

__all__ = [
    "from_google_checkpoint",
    "from_brightmart",
    "brightmart_files",
    "from_hf",
    "to_hf",
    "from_keras_hub",
    "to_keras_hub",
    "is_keras_hub_preset",
    "from_serving_export",
    "is_serving_export",
    "is_serving_versions",
    "backbone_config_from_json",
    "hf_config_from_backbone",
]
