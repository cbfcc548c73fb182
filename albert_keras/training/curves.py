"""Plots the training curves of a run to a PNG (matplotlib, Agg backend)."""

import math
from typing import Any

CURVE_KEYS = (
    "loss",
    "mlm_loss",
    "sop_loss",
    "mlm_accuracy",
    "sop_accuracy",
    "accuracy",
    "learning_rate",
    "examples_per_second",
)


def plot_training_curves(history: list[dict[str, Any]], path: str, title: str = "training") -> list[str]:
    """Writes one subplot per logged scalar against the step.

    Args:
        history: a list of dicts, each with `step` and scalar values (the
            rows of `LoopLogger.history`, possibly over several resumed
            runs).
        path: the PNG file to write.
        title: the figure title.

    Returns:
        The list of plotted keys.
    """
    import matplotlib  # optional heavy dependency, only needed to draw

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # after matplotlib.use("Agg")

    keys = [k for k in CURVE_KEYS if any(k in row for row in history)]
    keys += sorted({k for row in history for k in row} - set(keys) - {"step"})
    cols = 2
    rows = max(1, math.ceil(len(keys) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(10, 3 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        points = [(row["step"], row[key]) for row in history if key in row]
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="." if len(points) < 30 else None)
        ax.set_title(key)
        ax.set_xlabel("step")
        ax.grid(True, alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return keys
