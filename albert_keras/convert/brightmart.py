"""Reads brightmart's albert_zh TF1 checkpoints (github.com/brightmart/albert_zh).

brightmart's `modeling.py` (the albert_tiny, base, large and xlarge zh
releases, not the `*_google` ones) differs from google-research's ALBERT:

* Embeddings: the token table `bert/embeddings/word_embeddings` `[V, E]` is
  projected E→H by `bert/embeddings/word_embeddings_2` `[E, H]` (no bias)
  *before* the position and segment tables, which are H wide, are added;
  `bert/embeddings/LayerNorm` normalizes in H. Google normalizes the E-wide
  sum, then projects it with `bert/encoder/embedding_hidden_mapping_in`.
* Encoder: one post-LN block shared by every layer, under
  `bert/encoder/layer_shared/` with BERT's names
  (`attention/self/query`, `attention/output/dense`,
  `attention/output/LayerNorm`, `intermediate/dense`, `output/dense`,
  `output/LayerNorm`), not `transformer/group_0/inner_group_0/...`.
* MLM head: `cls/predictions/transform/dense` is H→H and its LayerNorm H
  wide; the logits are `x @ word_embeddings_2.T @ word_embeddings.T +
  output_bias`. Pooler and SOP head are Google's.

Our `AlbertBackbone(embedding_projection="token_only")` and the
`AlbertPretrainer` built on it compute exactly this.
"""

import json
import logging
import os
from typing import Any

from albert_keras.convert.assign import load_tensors
from albert_keras.convert.config import backbone_config_from_json
from albert_keras.convert.google import read_checkpoint
from albert_keras.model_dir import save_model_dir
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.pretrainer import AlbertPretrainer

logger = logging.getLogger("albert_keras.convert")

# Keys of brightmart's configs that its `modeling.py` never reads (BERT's legacy pooler keys).
_UNUSED_KEYS = frozenset(
    {
        "directionality",
        "pooler_fc_size",
        "pooler_num_attention_heads",
        "pooler_num_fc_layers",
        "pooler_size_per_head",
        "pooler_type",
    }
)
# Google-version keys: a config with them describes a `*_google` release (Google's layout).
_GOOGLE_ONLY_KEYS = ("num_hidden_groups", "inner_group_num", "net_structure_type")
# Present only in brightmart's layout; present only in Google's.
_BRIGHTMART_MARKER = "bert/embeddings/word_embeddings_2"
_GOOGLE_MARKER = "bert/encoder/transformer/"


def backbone_config_from_brightmart(config: dict[str, Any], file: str = "the config") -> dict[str, Any]:
    """Translates a brightmart `albert_config_*.json` dict to `AlbertBackbone` kwargs.

    Args:
        config: the parsed config (`albert_config_tiny.json`, ...): BERT keys
            plus `embedding_size` and `ln_type`.
        file: the config's path, for messages.

    Returns:
        `AlbertBackbone` kwargs with `embedding_projection="token_only"`.

    Raises:
        ValueError: `ln_type` is not "postln" (brightmart's pre-LN
            `prelln_transformer_model` is not implemented), or the config is
            a Google-version one (`num_hidden_groups`, ...).
    """
    ln_type = config.get("ln_type")
    if ln_type not in (None, "postln"):
        raise ValueError(
            f"`ln_type` must be 'postln' (or absent) in {file}. Received: ln_type={ln_type!r}. albert_keras "
            "implements post-LN blocks only; brightmart's pre-LN encoder (prelln_transformer_model, used when "
            "ln_type != 'postln') normalizes before each sub-layer and has no final LayerNorm."
        )
    google_keys = [k for k in _GOOGLE_ONLY_KEYS if k in config]
    if google_keys:
        raise ValueError(
            f"{file} has the Google-version keys {google_keys}: it belongs to a `*_google` release in Google's "
            "layout. Convert it with `from_google_checkpoint` (`albert convert --from google`)."
        )
    kept = {k: v for k, v in config.items() if k not in _UNUSED_KEYS and k != "ln_type"}
    out = backbone_config_from_json(kept, "google")  # brightmart's `gelu` is the tanh approximation too
    out["embedding_projection"] = "token_only"
    return out


def brightmart_files(directory: str) -> dict[str, str | None]:
    """Finds the checkpoint prefix, config and vocabulary in an unpacked albert_zh zip.

    The zips hold `albert_model.ckpt.{index,data-00000-of-00001,meta}`,
    `albert_config_<size>.json` (early ones `bert_config.json`) and
    `vocab.txt`, either at the top or in one folder.

    Args:
        directory: the folder the zip was unpacked into.

    Returns:
        `{"checkpoint": prefix, "config": path, "vocab": path or None}`.

    Raises:
        FileNotFoundError: no folder holds exactly one `*.ckpt*.index` and a
            config, or several do.
    """
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"`directory` must be a folder. Received: {directory!r}")
    found = []
    for folder in [directory] + sorted(
        os.path.join(directory, d) for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d))
    ):
        names = sorted(os.listdir(folder))
        indexes = [n for n in names if n.endswith(".index") and ".ckpt" in n]
        configs = [n for n in names if n.startswith("albert_config") and n.endswith(".json")]
        configs = configs or [n for n in names if n == "bert_config.json"]
        if len(indexes) == 1 and len(configs) == 1:
            vocab = os.path.join(folder, "vocab.txt")
            found.append({
                "checkpoint": os.path.join(folder, indexes[0][: -len(".index")]),
                "config": os.path.join(folder, configs[0]),
                "vocab": vocab if os.path.isfile(vocab) else None,
            })
    if len(found) != 1:
        raise FileNotFoundError(
            f"{directory!r} must hold one brightmart checkpoint (one `*.ckpt*.index` and one `albert_config*.json` "
            f"or `bert_config.json`, at the top or in one folder). "
            f"Found {len(found)}: {[f['checkpoint'] for f in found]}"
        )
    return found[0]


def from_brightmart(
    checkpoint_prefix: str,
    config: str | dict[str, Any],
    output: str | None = None,
    vocab: str | None = None,
    lowercase: bool = True,
    allow_random_init: bool = False,
    backbone_only: bool = False,
) -> AlbertPretrainer | AlbertBackbone:
    """Converts a brightmart albert_zh TF1 checkpoint (`albert_model.ckpt`).

    Every checkpoint variable is mapped (optimizer slots and `global_step`
    are skipped); an unmapped or missing variable or a shape that disagrees
    with the config raises a `ValueError` naming them.

    Args:
        checkpoint_prefix: the checkpoint prefix, e.g.
            `albert_tiny_zh/albert_model.ckpt`.
        config: path of `albert_config_*.json`, or the parsed dict.
        output: when given, the model directory to write.
        vocab: optional WordPiece `vocab.txt` (BERT's Chinese vocabulary),
            copied into the model directory with a `tokenizer.json` of
            `{"kind": "wordpiece", "lowercase": ..., "strip_accents": ...}`.
        lowercase: the WordPiece option saved with `vocab` (brightmart's
            scripts tokenize with `do_lower_case=True`, which also strips
            accents).
        allow_random_init: leave a missing pooler or head at random init
            (with a warning) instead of failing.
        backbone_only: drop the MLM/SOP heads; write an `AlbertBackbone`.

    Returns:
        The Keras model: an `AlbertPretrainer` when the checkpoint has the
        MLM and SOP heads, else an `AlbertBackbone`; its backbone has
        `embedding_projection="token_only"`.

    Raises:
        ValueError: an unreadable checkpoint, a config albert_keras cannot
            build (see `backbone_config_from_brightmart`), a checkpoint in
            Google's layout, or variables that do not match the config.
    """
    file = config if isinstance(config, str) else "the config"
    if not isinstance(config, dict):
        with open(config) as f:
            config = json.load(f)
    backbone_config = backbone_config_from_brightmart(config, file)
    tensors, skipped = read_checkpoint(checkpoint_prefix)
    if not tensors:
        raise ValueError(
            f"The checkpoint {checkpoint_prefix!r} holds no weights (only {len(skipped)} optimizer/step variables)."
        )
    if _BRIGHTMART_MARKER not in tensors and any(n.startswith(_GOOGLE_MARKER) for n in tensors):
        raise ValueError(
            f"The checkpoint {checkpoint_prefix!r} is in Google's layout ({_GOOGLE_MARKER}...), not brightmart's "
            f"(no {_BRIGHTMART_MARKER}): convert it with `from_google_checkpoint` (`albert convert --from google`)."
        )
    logger.info(
        "read %d tensors from %s (skipped %d optimizer/step variables)", len(tensors), checkpoint_prefix, len(skipped)
    )
    model, report = load_tensors(
        backbone_config,
        tensors,
        "google",
        checkpoint_prefix,
        allow_random_init=allow_random_init,
        backbone_only=backbone_only,
    )
    if output is not None:
        metadata = {
            "source": "brightmart albert_zh TF1 checkpoint",
            "checkpoint": os.path.abspath(checkpoint_prefix),
            "converted_variables": len(report["loaded"]),
            "transposed_variables": report["transposed"],
            "random_init": report["random_init"],
            "dropped": report["dropped"],
            "skipped_optimizer_variables": len(skipped),
        }
        options = None
        if vocab is not None:
            metadata["vocabulary"] = "wordpiece vocab.txt"
            options = {"kind": "wordpiece", "lowercase": bool(lowercase), "strip_accents": bool(lowercase)}
        save_model_dir(model, output, vocab_path=vocab, tokenizer_options=options, metadata=metadata)
    return model
