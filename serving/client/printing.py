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


def format_outputs(
    signature: str, texts: list[str], outputs: dict[str, np.ndarray], inputs: dict[str, Any] | None = None
) -> str:
    """Returns a readable rendering of one Predict answer.

    Args:
        signature: the signature name (picks the layout by the outputs present).
        texts: a description of each batch row (its input text).
        outputs: dict of output name to numpy array.
        inputs: the request's inputs (`choose` prints its `choices`).
    """
    if "answer" in outputs and "no_answer_score" in outputs:
        return _answer(texts, outputs)
    if "entity_labels" in outputs:
        return _tag(texts, outputs)
    if "choice_text" in outputs:
        return _choose(texts, outputs, (inputs or {}).get("choices"))
    if "top_k_tokens" in outputs:
        return _fill_mask(texts, outputs)
    if "probabilities" in outputs or "class_labels" in outputs:
        return _classify(texts, outputs)
    if "pooled_output" in outputs:
        return _embed(texts, outputs)
    return _generic(signature, texts, outputs)


def _answer(texts, outputs):
    lines = []
    for i, text in enumerate(texts):
        no_answer = float(outputs["no_answer_score"][i])
        start, end = int(outputs["start"][i]), int(outputs["end"][i])
        if start < 0:
            answer = f"no answer (no answer {no_answer:.2f}; best span score {float(outputs['score'][i]):.2f})"
        else:
            answer = (
                f"answer: {json.dumps(as_text(outputs['answer'][i]), ensure_ascii=False)} [{start}, {end}) "
                f"score {float(outputs['score'][i]):.2f} (no answer {no_answer:.2f})"
            )
        lines.append(f"[{i}] {text}\n    {answer}")
    return "\n".join(lines)


def _tag(texts, outputs):
    lines = []
    for i, text in enumerate(texts):
        lines.append(f"[{i}] {text}")
        count = int(outputs["num_entities"][i])
        if not count:
            lines.append("    (no entities)")
        for j in range(count):
            entity = json.dumps(as_text(outputs["entity_texts"][i, j]), ensure_ascii=False)
            lines.append(
                f"    {as_text(outputs['entity_labels'][i, j])}: {entity} "
                f"[{int(outputs['entity_starts'][i, j])}, {int(outputs['entity_ends'][i, j])}) "
                f"score {float(outputs['entity_scores'][i, j]):.2f}"
            )
    return "\n".join(lines)


def _choose(texts, outputs, choices):
    lines = []
    probabilities = outputs["probabilities"]
    for i, text in enumerate(texts):
        best = int(outputs["choice"][i])
        lines.append(f"[{i}] {text}")
        for n in range(probabilities.shape[1]):
            name = as_text(choices[i][n]) if choices is not None else f"choice {n}"
            if choices is not None and not name:
                continue  # a padding choice
            mark = "*" if n == best else " "
            lines.append(f"  {mark} {float(probabilities[i, n]):.3f}  {name}")
    return "\n".join(lines)


def _fill_mask(texts, outputs):
    tokens = outputs.get("top_k_strings", outputs["top_k_tokens"])
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
