"""Crash-safe checkpoints: save every N updates, keep the last K, resume automatically.

A checkpoint holds the model, the optimizer (its slots and its iteration
counter, which is the step) and nothing else; the data position is derived
from the step. Files live in RUN_DIR/checkpoints (`ckpt-<step>.*` plus the
`checkpoint` index file `tf.train.CheckpointManager` keeps).
"""

import os
import shutil
from typing import Any

import keras
import tensorflow as tf

from albert_keras.training.optimizer import update_steps
from albert_keras.training.strategy import is_chief, writable_dir

CHECKPOINT_DIR = "checkpoints"


class RunCheckpoints:
    """The checkpoints of one run.

    Args:
        model: the compiled Keras model (its optimizer is saved too).
        run_dir: the run directory.
        keep: checkpoints kept (older ones are deleted).
        strategy: the `tf.distribute` strategy; non-chief workers write to
            a temp dir.
    """

    def __init__(self, model: keras.Model, run_dir: str, keep: int, strategy: tf.distribute.Strategy) -> None:
        self.model = model
        self.strategy = strategy
        self.directory = os.path.join(run_dir, CHECKPOINT_DIR)
        self.checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer)
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, writable_dir(strategy, self.directory), max_to_keep=keep
        )

    def restore_or_start(self, fresh: bool = False) -> int:
        """Restores the latest checkpoint of the run (unless `fresh`).

        The optimizer is built first so its slots restore too.

        Args:
            fresh: delete the run's checkpoints and start from step 0.

        Returns:
            The restored update step (0 when starting fresh).
        """
        with self.strategy.scope():
            self.model.optimizer.build(self.model.trainable_variables)
        if fresh:
            if is_chief(self.strategy) and os.path.isdir(self.directory):
                shutil.rmtree(self.directory)
            self.manager = tf.train.CheckpointManager(
                self.checkpoint, writable_dir(self.strategy, self.directory), max_to_keep=self.manager._max_to_keep
            )
            return 0
        latest = tf.train.latest_checkpoint(self.directory)
        if latest is None:
            return 0
        self.checkpoint.restore(latest).assert_existing_objects_matched()
        return update_steps(self.model.optimizer)

    def save(self, step: int) -> str | None:
        """Writes checkpoint `ckpt-<step>`; every worker must call it."""
        return self.manager.save(checkpoint_number=step)


class CheckpointCallback(keras.callbacks.Callback):
    """Saves at the end of a loop when `checkpoint_every` updates have passed, and when training ends.

    Args:
        checkpoints: a `RunCheckpoints`.
        checkpoint_every: updates between checkpoints (0: only at the end).
        total_steps: the run's last update.
        start_step: the step training resumed from.
    """

    def __init__(
        self, checkpoints: RunCheckpoints, checkpoint_every: int, total_steps: int, start_step: int = 0
    ) -> None:
        super().__init__()
        self.checkpoints = checkpoints
        self.checkpoint_every = checkpoint_every
        self.total_steps = total_steps
        self.last_saved = start_step

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        step = update_steps(self.model.optimizer)
        due = self.checkpoint_every and step - self.last_saved >= self.checkpoint_every
        if due or step >= self.total_steps:
            self.checkpoints.save(step)
            self.last_saved = step

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        # A run stopped before `total_steps` (a time budget) ends with a checkpoint too.
        step = update_steps(self.model.optimizer)
        if step > self.last_saved:
            self.checkpoints.save(step)
            self.last_saved = step


def read_step(checkpoint_path: str) -> int:
    """The optimizer step stored in a checkpoint file prefix (e.g. `.../ckpt-40`)."""
    reader = tf.train.load_checkpoint(checkpoint_path)
    for name in reader.get_variable_to_shape_map():
        if name.startswith("optimizer/") and "iteration" in name and name.endswith(".ATTRIBUTES/VARIABLE_VALUE"):
            return int(reader.get_tensor(name))
    raise ValueError(f"{checkpoint_path}: no optimizer iteration counter found.")
