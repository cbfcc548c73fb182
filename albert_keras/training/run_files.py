"""Files of a run dir besides checkpoints: config, metrics, curves."""

import json
import os
from typing import Any

from albert_keras.config import write_yaml
from albert_keras.training.curves import plot_training_curves

CONFIG_FILE = "run_config.yaml"
METRICS_FILE = "metrics.json"
CURVES_FILE = "training_curves.png"
MODEL_DIR = "model"


def write_run_config(run_dir: str, config: Any) -> None:
    """Writes the resolved config as RUN_DIR/run_config.yaml (`albert_keras.config.load` reads it back)."""
    write_yaml(config, os.path.join(run_dir, CONFIG_FILE))


def write_metrics(run_dir: str, metrics: dict[str, Any]) -> str:
    """Writes RUN_DIR/metrics.json; returns its path."""
    path = os.path.join(run_dir, METRICS_FILE)
    with open(path, "w") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
    return path


def write_curves(run_dir: str, history: list[dict[str, Any]], title: str) -> str | None:
    """Writes RUN_DIR/training_curves.png when there is history; returns its path or None."""
    if not history:
        return None
    path = os.path.join(run_dir, CURVES_FILE)
    plot_training_curves(history, path, title=title)
    return path
