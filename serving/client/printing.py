"""Readable and JSON renderings of Predict answers (for `albert query`)."""

import json
from typing import Any

import numpy as np


def as_text(value: Any) -> str:
    """Returns a bytes value as text (UTF-8, undecodable bytes escaped)."""
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else str(value)


def to_jsonable(outputs: dict[str, np.ndarray]) -> dict[str, Any]:
    """Returns outputs (dict of numpy arrays) as JSON-ready nested lists."""
    def convert(array: np.ndarray) -> Any:
        if array.dtype == object:
            return np.vectorize(as_text, otypes=[object])(array).tolist() if array.size else []
        return array.tolist()

    return {k: convert(v) for k, v in outputs.items()}


def format_json(outputs: dict[str, np.ndarray]) -> str:
    """Returns outputs as a JSON string."""
    return json.dumps(to_jsonable(outputs), ensure_ascii=False, indent=2)


def format_outputs(signature: str, texts: list[str], outputs: dict[str, np.ndarray]) -> str:
    """Returns a readable rendering of one Predict answer.

    Args:
        signature: the signature name (picks the layout by the outputs present).
        texts: the input texts, one per batch row.
        outputs: dict of output name to numpy array.
    """
    if "top_k_tokens" in outputs:
        return _fill_mask(texts, outputs)
    if "probabilities" in outputs or "class_labels" in outputs:
        return _classify(texts, outputs)
    if "pooled_output" in outputs:
        return _embed(texts, outputs)
    return _generic(signature, texts, outputs)


def _fill_mask(texts, outputs):
    tokens = outputs["top_k_tokens"]
    scores = outputs.get("top_k_scores")
    positions = outputs.get("mask_positions")
    lines = []
    for i, text in enumerate(texts):
        lines.append(f"[{i}] {text}")
        for m in range(tokens.shape[1]):
            where = f"position {int(positions[i, m])}" if positions is not None else f"mask {m}"
            if positions is not None and int(positions[i, m]) < 0:
                continue  # padding: this input has fewer masks
            guesses = ", ".join(
                f"{as_text(tokens[i, m, k])}"
                + (f" ({float(scores[i, m, k]):.3f})" if scores is not None else "")
                for k in range(tokens.shape[2])
            )
            lines.append(f"    {where}: {guesses}")
    return "\n".join(lines)


def _classify(texts, outputs):
    probabilities = outputs.get("probabilities")
    labels = outputs.get("class_labels")
    ids = outputs.get("class_ids")
    lines = []
    for i, text in enumerate(texts):
        label = as_text(labels[i]) if labels is not None else str(int(ids[i]))
        if probabilities is not None:
            column = int(ids[i]) if ids is not None else int(np.argmax(probabilities[i]))
            lines.append(f"[{i}] {label} ({float(probabilities[i, column]):.3f})  {text}")
        else:
            lines.append(f"[{i}] {label}  {text}")
    return "\n".join(lines)


def _embed(texts, outputs):
    lines = []
    for i, text in enumerate(texts):
        lines.append(f"[{i}] {text}")
        for name in ("pooled_output", "mean_embedding"):
            if name in outputs:
                row = outputs[name][i]
                head = ", ".join(f"{x:.4f}" for x in row[:5])
                lines.append(f"    {name}: dim {row.shape[-1]}: [{head}{', ...' if row.size > 5 else ''}]")
    return "\n".join(lines)


def _generic(signature, texts, outputs):
    lines = [f"signature {signature}:"]
    for name, value in sorted(outputs.items()):
        flat = value.reshape(-1)[:5]
        head = ", ".join(as_text(x) if value.dtype == object else str(x) for x in flat)
        lines.append(f"  {name}: {value.dtype} {list(value.shape)} [{head}{', ...' if value.size > 5 else ''}]")
    return "\n".join(lines)
