"""Observability: per-loop scalars to TensorBoard and to the run's history."""

import json
import time
from typing import Any

import keras
import tensorflow as tf

from albert_keras.training.optimizer import current_learning_rate, update_steps


class LoopLogger(keras.callbacks.Callback):
    """Logs each loop (one Keras epoch) as a row of scalars.

    Scalars: every Keras log (loss, mlm_loss, mlm_accuracy, sop_accuracy,
    accuracy, ...), `learning_rate` and `examples_per_second` (global
    examples per second of wall time). They go to TensorBoard event files
    under `log_dir` (when given) and to `self.history`, a list of dicts
    with a `step` key.

    Args:
        global_batch_size: examples per update.
        log_dir: TensorBoard directory, or None (non-chief workers).
        history_path: a JSON-lines file each row is appended to, or None.
    """

    def __init__(self, global_batch_size: int, log_dir: str | None = None, history_path: str | None = None) -> None:
        super().__init__()
        self.global_batch_size = global_batch_size
        self.history_path = history_path
        self.writer = tf.summary.create_file_writer(log_dir) if log_dir else None
        self.history = []
        self._start = None
        self._start_step = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()
        self._start_step = update_steps(self.model.optimizer)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        step = update_steps(self.model.optimizer)
        seconds = max(time.perf_counter() - self._start, 1e-9)
        row = {"step": step}
        row.update({k: float(v) for k, v in (logs or {}).items()})
        row["learning_rate"] = current_learning_rate(self.model.optimizer)
        row["examples_per_second"] = (step - self._start_step) * self.global_batch_size / seconds
        self.history.append(row)
        if self.history_path:
            with open(self.history_path, "a") as f:
                f.write(json.dumps(row) + "\n")
        if self.writer is not None:
            with self.writer.as_default(step=step):
                for key, value in row.items():
                    if key != "step":
                        tf.summary.scalar(key, value)
            self.writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.writer is not None:
            self.writer.close()


class TimeBudget(keras.callbacks.Callback):
    """Stops training after the last loop that fits in `seconds` of wall time.

    After each loop it projects the next loop's time as the mean of the
    loops so far, leaving out the first once there are two (it includes
    tracing and compilation), and stops when the projected end passes the
    budget. The clock starts when training begins.

    Args:
        seconds: the budget, > 0.
        clock: the time source (tests pass a fake one).

    Attributes:
        stopped_at: the update step training stopped at, or None when the
            budget never stopped it.
    """

    def __init__(self, seconds: float, clock: Any = time.perf_counter) -> None:
        super().__init__()
        if seconds <= 0:
            raise ValueError(f"`seconds` must be > 0. Received: {seconds}")
        self.seconds = float(seconds)
        self.clock = clock
        self.stopped_at = None
        self.elapsed = 0.0
        self._loops = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._start = self._loop_start = self.clock()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._loop_start = self.clock()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        now = self.clock()
        self._loops.append(now - self._loop_start)
        self.elapsed = now - self._start
        recent = self._loops[1:] or self._loops
        if self.elapsed + sum(recent) / len(recent) > self.seconds:
            self.stopped_at = update_steps(self.model.optimizer)
            self.model.stop_training = True
