"""Checked loading of named source tensors into a new backbone or pretrainer.

Every source tensor must map to a variable, every variable must get a
tensor, and every shape must match; otherwise `load_tensors` raises one
`ValueError` that names all the offending variables.
"""

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np

from albert_keras.convert.name_map import BACKBONE, MLM, POOLER, SOP, model_slots
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.pretrainer import AlbertPretrainer

logger = logging.getLogger("albert_keras.convert")

# Name prefixes of the optional parts, per format.
PART_PREFIXES = {
    "google": {
        POOLER: "bert/pooler/",
        MLM: "cls/predictions/",
        SOP: "cls/seq_relationship/",
    },
    "hf": {
        POOLER: "pooler.",
        MLM: "predictions.",
        SOP: "sop_classifier.",
    },
}
_MAX_LISTED = 30


def _listing(items):
    items = list(items)
    shown = ", ".join(items[:_MAX_LISTED])
    more = f" ... and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else ""
    return f"{shown}{more}"


def parts_present(names: Iterable[str], fmt: str) -> set[str]:
    """Which optional parts (pooler, MLM, SOP) have tensors among `names`."""
    return {part for part, prefix in PART_PREFIXES[fmt].items() if any(n.startswith(prefix) for n in names)}


def build_model(backbone_config: dict[str, Any], with_heads: bool) -> AlbertPretrainer | AlbertBackbone:
    """A new `AlbertPretrainer` (with_heads) or `AlbertBackbone`."""
    backbone = AlbertBackbone(**backbone_config)
    return AlbertPretrainer(backbone) if with_heads else backbone


def load_tensors(
    backbone_config: dict[str, Any],
    tensors: dict[str, np.ndarray],
    fmt: str,
    source: str,
    allow_random_init: bool = False,
    backbone_only: bool = False,
) -> tuple[AlbertPretrainer | AlbertBackbone, dict[str, list[str]]]:
    """Builds the model that `tensors` describe and loads them, checking everything.

    A source with an MLM or SOP head gives an `AlbertPretrainer`; one with
    neither (or `backbone_only=True`) gives an `AlbertBackbone`.

    Args:
        backbone_config: `AlbertBackbone` kwargs.
        tensors: dict of source name → numpy array, names normalized
            (no `module/` or `albert.` prefix, optimizer slots removed).
        fmt: "google" or "hf".
        source: a description of the source for messages (a path).
        allow_random_init: leave a missing pooler, MLM head or SOP head at
            random init (each is named in a warning) instead of failing.
        backbone_only: drop the head tensors and return a backbone.

    Returns:
        `(model, report)`: the loaded model and a dict with `loaded`,
        `transposed`, `defaulted`, `random_init` and `dropped` name lists.

    Raises:
        ValueError: naming every unmapped tensor, missing variable and shape
            mismatch.
    """
    present = parts_present(tensors, fmt)
    dropped = []
    if backbone_only:
        head_prefixes = (PART_PREFIXES[fmt][MLM], PART_PREFIXES[fmt][SOP])
        dropped = sorted(n for n in tensors if n.startswith(head_prefixes))
        tensors = {n: t for n, t in tensors.items() if n not in dropped}
        if dropped:
            logger.info("backbone_only: dropping %d head tensors of %s", len(dropped), source)
    with_heads = not backbone_only and bool(present & {MLM, SOP})
    if not backbone_only and not with_heads:
        logger.warning("%s has no MLM/SOP heads: converting to a backbone-only model (AlbertBackbone).", source)
    model = build_model(backbone_config, with_heads)
    slots = model_slots(model)
    by_name = {s.name(fmt): s for s in slots}

    unmapped = sorted(set(tensors) - set(by_name))
    missing, defaulted, random_init, wrong_shape = [], [], [], []
    values = {}
    for slot in slots:
        name = slot.name(fmt)
        if name not in tensors:
            if fmt == "google" and slot.google_default is not None:
                values[name] = slot.google_default
                defaulted.append(name)
            elif allow_random_init and slot.part != BACKBONE:
                random_init.append(name)
            else:
                missing.append(name)
            continue
        array = np.asarray(tensors[name])
        if tuple(array.shape) != slot.source_shape(fmt):
            wrong_shape.append(f"{name} has shape {tuple(array.shape)}, config expects {slot.source_shape(fmt)}")
            continue
        values[name] = slot.to_ours(fmt, array)
    problems = []
    if unmapped:
        problems.append(f"{len(unmapped)} unknown/unmapped variables: {_listing(unmapped)}")
    if missing:
        hint = ""
        if any(by_name[n].part != BACKBONE for n in missing):
            hint = (
                " (a missing pooler or head: pass allow_random_init=True / --allow-random-init to leave it at "
                "random init, or backbone_only=True / --backbone-only to drop the heads)"
            )
        problems.append(f"{len(missing)} missing variables{hint}: {_listing(missing)}")
    if wrong_shape:
        problems.append(f"{len(wrong_shape)} shape mismatches (config vs weights): {_listing(wrong_shape)}")
    if problems:
        raise ValueError(f"Cannot convert {source}:\n  " + "\n  ".join(problems))

    for name, value in values.items():
        variable = by_name[name].variable
        variable.assign(np.asarray(value, dtype=variable.dtype))
    if defaulted:
        logger.info("%s has no %s (E == H): using the identity projection.", source, _listing(defaulted))
    if random_init:
        logger.warning(
            "%s lacks %d variables, LEFT AT RANDOM INIT: %s", source, len(random_init), _listing(random_init)
        )
    transposed = sorted(n for n in values if n not in defaulted and by_name[n].transposes(fmt))
    logger.info("%s: loaded %d variables, %d of them transposed", source, len(values) - len(defaulted), len(transposed))
    report = {
        "loaded": sorted(set(values) - set(defaulted)),
        "transposed": transposed,
        "defaulted": defaulted,
        "random_init": random_init,
        "dropped": dropped,
    }
    return model, report
