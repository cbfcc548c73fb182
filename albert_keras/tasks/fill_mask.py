"""Fill-mask decoding in the format of HF's `FillMaskPipeline`.

For each ``[MASK]`` of a text, a list of candidates (best first), each
``{"score", "token", "token_id", "token_str", "sequence"}``:

* `score`: the candidate's probability, a softmax over the whole vocabulary
  (with `targets` too: the targets' full-softmax probabilities, not
  renormalized, as HF does);
* `token` and `token_id`: its id (`token` is HF's name, `token_id` the same);
* `token_str`: its text: SentencePiece pieces without ``▁``, WordPiece pieces
  without ``##`` (so a Chinese character is itself, with no space);
* `sequence`: the input text with that string in place of this ``[MASK]``
  (other masks are kept as ``[MASK]``).

Nesting, as HF's: a text with one mask gives a flat list of candidates, a
text with several masks a list (one per mask, in order) of lists; several
texts give one such result per text, and a single text (or a list of one)
gives its result alone.
"""

from collections.abc import Sequence
from typing import Any

import numpy as np

from albert_keras.tokenizer.pieces import SPIECE_UNDERLINE

Candidate = dict[str, Any]


def piece_text(piece: str, wordpiece: bool) -> str:
    """The text of one vocabulary piece: ``▁the`` → ``the``, ``##们`` → ``们``, ``猫`` → ``猫``.

    Args:
        piece: a vocabulary piece.
        wordpiece: True for a WordPiece vocabulary, False for SentencePiece.
    """
    if wordpiece:
        return piece[2:] if piece.startswith("##") and len(piece) > 2 else piece
    return piece.replace(SPIECE_UNDERLINE, " ").strip()


def fill_nth(text: str, n: int, filler: str, mask_token: str) -> str:
    """`text` with its `n`-th (0-based) `mask_token` replaced by `filler`.

    Raises:
        ValueError: `text` has fewer than `n + 1` masks.
    """
    parts = text.split(mask_token)
    if n + 1 >= len(parts):
        raise ValueError(f"`text` must hold at least {n + 1} {mask_token}. Received: {text!r}")
    return mask_token.join(parts[: n + 1]) + filler + mask_token.join(parts[n + 1 :])


def mask_positions(token_ids: np.ndarray, mask_id: int, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the mask ids of each row.

    Args:
        token_ids: int `[batch, T]`.
        mask_id: the [MASK] id.
        width: P, the output width; None gives the largest count (at least 1).

    Returns:
        `(positions, counts)`: int32 `[batch, P]` (ascending, 0-padded) and
        int `[batch]` (masks per row, at most P).
    """
    token_ids = np.asarray(token_ids)
    is_mask = token_ids == mask_id
    counts = is_mask.sum(axis=-1)
    width = max(int(counts.max()) if counts.size else 0, 1) if width is None else width
    positions = np.zeros((token_ids.shape[0], width), np.int32)
    for row, flags in enumerate(is_mask):
        found = np.flatnonzero(flags)[:width]
        positions[row, : len(found)] = found
    return positions, np.minimum(counts, width)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in float64."""
    logits = np.asarray(logits, np.float64)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def candidates(
    logits: np.ndarray,
    text: str,
    mask_index: int,
    top_k: int,
    id_to_text: Any,
    mask_token: str,
    target_ids: Sequence[int] | None = None,
    vocabulary_size: int | None = None,
) -> list[Candidate]:
    """The best `top_k` candidates for one mask.

    Args:
        logits: float `[vocabulary_size]`, the MLM logits at the mask.
        text: the input text.
        mask_index: which mask of `text` this is (0-based).
        top_k: how many candidates (capped at the vocabulary or target count).
        id_to_text: id → `token_str`.
        mask_token: the mask's literal text ("[MASK]").
        target_ids: optional ids the candidates are restricted to.
        vocabulary_size: the tokenizer's size, when the logits may be wider
            (the scores are still the softmax over every logit).

    Returns:
        The candidates, best first (see the module docstring).
    """
    probs = softmax(logits)
    # A model's table may be wider than its vocabulary (padded): those ids are never candidates.
    count = probs.shape[-1] if vocabulary_size is None else min(vocabulary_size, probs.shape[-1])
    ids = np.arange(count) if target_ids is None else np.asarray(list(target_ids), np.int64)
    scores = probs[ids]
    order = np.argsort(-scores, kind="stable")[: max(0, min(top_k, len(ids)))]
    out = []
    for i in order:
        token_id = int(ids[i])
        token_str = id_to_text(token_id)
        out.append({
            "score": float(scores[i]),
            "token": token_id,
            "token_id": token_id,
            "token_str": token_str,
            "sequence": fill_nth(text, mask_index, token_str, mask_token),
        })
    return out


def nest(per_text: list[list[list[Candidate]]], single: bool) -> Any:
    """HF's nesting of per-text, per-mask candidate lists (see the module docstring)."""
    results = [masks[0] if len(masks) == 1 else masks for masks in per_text]
    return results[0] if single or len(results) == 1 else results
