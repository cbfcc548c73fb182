"""Reads the original google-research ALBERT TF1 checkpoints."""

import json
import logging
import os
import re
from typing import Any

import numpy as np
import tensorflow as tf

from albert_keras.convert.assign import load_tensors
from albert_keras.convert.config import backbone_config_from_json
from albert_keras.model_dir import save_model_dir
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.pretrainer import AlbertPretrainer

logger = logging.getLogger("albert_keras.convert")

# Optimizer state and bookkeeping in TF1 training checkpoints (Adam, LAMB,
# loss scaling, object graphs): never weights.
_SKIP = re.compile(
    r"(^|/)(global_step|beta1_power|beta2_power|good_steps|current_loss_scale|loss_scale)$"
    r"|/(adam_m|adam_v|lamb_m|lamb_v|Adam|Adam_1|Momentum|ExponentialMovingAverage)$"
    r"|^_CHECKPOINTABLE_OBJECT_GRAPH$"
)
_HUB_PREFIX = "module/"


def read_checkpoint(prefix: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """Reads every weight tensor of a TF1 checkpoint into numpy.

    Uses `tf.train.load_checkpoint` (no graph code). Strips a TF-Hub
    `module/` prefix and skips optimizer slots (`adam_m`, `adam_v`, LAMB
    slots) and `global_step`.

    Args:
        prefix: the checkpoint prefix, e.g. `albert_base/model.ckpt-best`.

    Returns:
        `(tensors, skipped)`: dict name → array, and the skipped names.

    Raises:
        ValueError: when the checkpoint is missing, unreadable or truncated.
    """
    try:
        reader = tf.train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as e:
        raise ValueError(f"Cannot open the TF1 checkpoint {prefix!r}: {type(e).__name__}: {e}") from e
    tensors, skipped = {}, []
    for name in sorted(shapes):
        if _SKIP.search(name):
            skipped.append(name)
            continue
        try:
            value = reader.get_tensor(name)
        except (tf.errors.OpError, ValueError, IndexError) as e:  # IndexError: "Read less bytes than requested"
            raise ValueError(
                f"The TF1 checkpoint {prefix!r} is truncated or corrupt: cannot read {name!r} "
                f"({type(e).__name__}: {str(e).splitlines()[0]})"
            ) from e
        key = name[len(_HUB_PREFIX):] if name.startswith(_HUB_PREFIX) else name
        if key in tensors:
            raise ValueError(
                f"The checkpoint {prefix!r} holds {key!r} both with and without the {_HUB_PREFIX!r} prefix."
            )
        tensors[key] = value
    return tensors, skipped


def from_google_checkpoint(
    checkpoint: str,
    config: str | dict[str, Any],
    output: str | None = None,
    spm: str | None = None,
    vocab: str | None = None,
    lowercase: bool = True,
    allow_random_init: bool = False,
    backbone_only: bool = False,
) -> AlbertPretrainer | AlbertBackbone:
    """Converts an original google-research ALBERT TF1 checkpoint.

    Every checkpoint variable is mapped (optimizer slots are skipped); an
    unmapped or missing variable or a shape that disagrees with the config
    raises a `ValueError` naming them.

    Args:
        checkpoint: the checkpoint prefix (`.../model.ckpt-best`), TF-Hub
            `module/` prefixed names accepted.
        config: path of `albert_config.json`, or the parsed dict.
        output: when given, the model directory to write.
        spm: optional SentencePiece model (`30k-clean.model`), copied into
            the model directory as `spiece.model`.
        vocab: optional WordPiece `vocab.txt` / `vocab_chinese.txt` (the zh
            checkpoints); copied as `vocab.txt` with a tokenizer.json of
            kind "wordpiece", so `load_tokenizer` gives a `WordPieceTokenizer`.
        lowercase: the tokenizer option saved with the vocabulary (the
            released English and Chinese models are uncased: True).
        allow_random_init: leave a missing pooler or head at random init
            (with a warning) instead of failing.
        backbone_only: drop the MLM/SOP heads; write an `AlbertBackbone`.

    Returns:
        The Keras model: an `AlbertPretrainer` when the checkpoint has the
        MLM and SOP heads, else an `AlbertBackbone`.
    """
    if not isinstance(config, dict):
        with open(config) as f:
            config = json.load(f)
    backbone_config = backbone_config_from_json(config, "google")
    tensors, skipped = read_checkpoint(checkpoint)
    if not tensors:
        raise ValueError(
            f"The checkpoint {checkpoint!r} holds no weights (only {len(skipped)} optimizer/step variables)."
        )
    if "bert/embeddings/word_embeddings_2" in tensors:
        raise ValueError(
            f"The checkpoint {checkpoint!r} is in brightmart's albert_zh layout (bert/embeddings/word_embeddings_2, "
            "bert/encoder/layer_shared/...): convert it with `from_brightmart` (`albert convert --from brightmart`)."
        )
    logger.info("read %d tensors from %s (skipped %d optimizer/step variables)", len(tensors), checkpoint, len(skipped))
    model, report = load_tensors(
        backbone_config, tensors, "google", checkpoint, allow_random_init=allow_random_init, backbone_only=backbone_only
    )
    if spm is not None and vocab is not None:
        raise ValueError(f"Give `spm` or `vocab`, not both. Received: spm={spm!r}, vocab={vocab!r}")
    if spm is None and vocab is None:
        logger.warning("No vocabulary given (`spm` or `vocab`): the model directory gets no tokenizer.")
    if output is not None:
        _write(model, output, checkpoint, spm, vocab, lowercase, report, len(skipped))
    return model


def _write(model, output, checkpoint, spm, vocab, lowercase, report, num_skipped):
    tokenizer_options = None
    if spm is not None:
        tokenizer_options = {"lowercase": bool(lowercase), "strip_accents": True}
    elif vocab is not None:
        # BERT's basic tokenizer strips accents exactly when it lowercases.
        tokenizer_options = {"kind": "wordpiece", "lowercase": bool(lowercase), "strip_accents": bool(lowercase)}
    metadata = {
        "source": "google-research TF1 checkpoint",
        "checkpoint": os.path.abspath(checkpoint),
        "converted_variables": len(report["loaded"]),
        "transposed_variables": report["transposed"],
        "identity_defaults": report["defaulted"],
        "random_init": report["random_init"],
        "dropped": report["dropped"],
        "skipped_optimizer_variables": num_skipped,
    }
    if vocab is not None:
        metadata["vocabulary"] = f"wordpiece {os.path.basename(vocab)}"
    save_model_dir(model, output, vocab_path=spm or vocab, tokenizer_options=tokenizer_options, metadata=metadata)
