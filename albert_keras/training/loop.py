"""The training driver shared by pretraining and fine-tuning.

It runs `model.fit` in loops of `steps_per_loop` updates (one Keras epoch
each), logs every loop, checkpoints every `checkpoint_every` updates and at
the end, and resumes from the run's latest checkpoint: the optimizer step
continues, and the input pipeline skips the batches already trained on.
"""

import contextlib
import dataclasses
import json
import logging
import os
import time
from typing import Any

import keras
import tensorflow as tf
from keras.src.backend.tensorflow import trainer as tf_trainer  # private: patched while `fit` runs (see below)

from albert_keras.training.callbacks import LoopLogger, TimeBudget
from albert_keras.training.checkpoints import CheckpointCallback, RunCheckpoints
from albert_keras.training.optimizer import update_steps
from albert_keras.training.strategy import is_chief

HISTORY_FILE = "history.jsonl"
LOG_DIR = "logs"


@dataclasses.dataclass
class LoopResult:
    """What a training run did.

    Attributes:
        start_step: the update step it started (or resumed) from.
        final_step: the update step it ended at.
        history: every logged row of the run dir, resumed runs included.
        chief: whether this process is the chief (wrote the files).
        checkpoint: the path prefix of the last checkpoint written.
        stopped_by_budget: the time budget ended the run before its
            last step.
        seconds: wall seconds of training in this invocation.
        time_budget: with a budget, what metrics.json records of it
            (`seconds`, `train_seconds`, `train_steps`, `stopped`); else None.
    """

    start_step: int
    final_step: int
    history: list
    chief: bool
    checkpoint: str
    stopped_by_budget: bool = False
    seconds: float = 0.0
    time_budget: dict | None = None


def read_history(run_dir: str, up_to_step: int | None = None) -> list[dict[str, Any]]:
    """Rows of RUN_DIR/history.jsonl, optionally only those with step <= `up_to_step`."""
    path = os.path.join(run_dir, HISTORY_FILE)
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if up_to_step is not None:
        rows = [r for r in rows if r["step"] <= up_to_step]
    return rows


def _rewrite_history(run_dir, rows):
    with open(os.path.join(run_dir, HISTORY_FILE), "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")


@contextlib.contextmanager
def _fit_scope(model, strategy):
    """Works around Keras 3.12 `fit` bugs under tf.distribute strategies.

    1. For a model built under a strategy, `_maybe_symbolic_build` takes the
       first batch from the training iterator to build the metrics, so a
       distributed run silently skips one batch (and under
       MultiWorkerMirroredStrategy it then fails: "Attempt to convert a
       value ({'token_ids': PerReplica...}) ... to a Tensor"). A model
       without a captured strategy skips that step and uses the strategy of
       the enclosing scope, so `fit` runs inside `strategy.scope()` with the
       captured strategy cleared.
    2. Multi-worker only: `reduce_per_replica` reduces the scalar logs with
       `axis=0` ("Invalid reduction dimension 0 for input with 0
       dimensions"). While `fit` runs, Keras' multi-worker check answers
       False, so the logs are each worker's local values (one replica per
       worker here); gradients are still all-reduced by the optimizer.

    Both are undone when `fit` returns.
    """
    captured = getattr(model, "_distribute_strategy", None)
    if captured is None:
        yield
        return
    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    check = tf_trainer._collective_all_reduce_multi_worker
    model._distribute_strategy = None
    if multi_worker:
        tf_trainer._collective_all_reduce_multi_worker = lambda strategy: False
    try:
        with strategy.scope():
            yield
    finally:
        model._distribute_strategy = captured
        tf_trainer._collective_all_reduce_multi_worker = check


def train(
    model: keras.Model,
    dataset: tf.data.Dataset,
    *,
    run_dir: str,
    total_steps: int,
    steps_per_loop: int,
    checkpoint_every: int,
    keep_checkpoints: int,
    global_batch_size: int,
    accumulation_steps: int,
    strategy: tf.distribute.Strategy,
    fresh: bool = False,
    verbose: int | str = 2,
    time_budget_seconds: float = 0.0,
) -> LoopResult:
    """Trains a compiled model with logging, checkpoints and resume.

    Args:
        model: a Keras model compiled under `strategy.scope()`.
        dataset: an infinite `tf.data.Dataset` of `(x, y)` micro-batches of
            `global_batch_size / accumulation_steps` examples (the same
            order on every start, so skipping resumes it).
        run_dir: the run directory.
        total_steps: optimizer updates in the whole run.
        steps_per_loop: updates per loop; must divide `total_steps`.
        checkpoint_every: updates between checkpoints (0: only the last).
        keep_checkpoints: checkpoints kept.
        global_batch_size: examples per update (for throughput).
        accumulation_steps: micro-batches per update.
        strategy: the `tf.distribute` strategy.
        fresh: ignore (and delete) the run's checkpoints.
        verbose: Keras `fit` verbosity.
        time_budget_seconds: stop after the last loop that fits in this
            many seconds (0: train to `total_steps`); see `TimeBudget`.

    Returns:
        A `LoopResult`.
    """
    if total_steps < 1 or steps_per_loop < 1 or total_steps % steps_per_loop:
        raise ValueError(
            f"training.train_steps={total_steps} must be a positive multiple of "
            f"training.steps_per_loop={steps_per_loop}."
        )
    if time_budget_seconds and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        raise ValueError(
            "training.time_budget_seconds needs one worker: each worker would time itself and stop at a "
            f"different step. Received: {strategy.num_replicas_in_sync} replicas over several workers"
        )
    chief = is_chief(strategy)
    if chief:
        os.makedirs(run_dir, exist_ok=True)
    checkpoints = RunCheckpoints(model, run_dir, keep_checkpoints, strategy)
    start_step = checkpoints.restore_or_start(fresh=fresh)
    if start_step % steps_per_loop and start_step < total_steps:
        raise ValueError(
            f"Checkpoint step {start_step} is not a multiple of training.steps_per_loop={steps_per_loop}; "
            "resume with the steps_per_loop of the original run, or pass --fresh."
        )
    previous = read_history(run_dir, up_to_step=start_step) if chief and not fresh else []
    if chief:
        _rewrite_history(run_dir, previous)
    if start_step >= total_steps:
        return LoopResult(start_step, start_step, previous, chief, checkpoints.manager.latest_checkpoint)
    logger = LoopLogger(
        global_batch_size,
        log_dir=os.path.join(run_dir, LOG_DIR) if chief else None,
        history_path=os.path.join(run_dir, HISTORY_FILE) if chief else None,
    )
    saver = CheckpointCallback(checkpoints, checkpoint_every, total_steps, start_step)
    budget = TimeBudget(time_budget_seconds) if time_budget_seconds else None
    data = dataset.skip(start_step * accumulation_steps) if start_step else dataset
    start = time.perf_counter()
    with _fit_scope(model, strategy):
        model.fit(
            data,
            epochs=total_steps // steps_per_loop,
            initial_epoch=start_step // steps_per_loop,
            steps_per_epoch=steps_per_loop * accumulation_steps,
            # The budget decides before the saver runs, so a stopped run checkpoints in on_train_end.
            callbacks=[logger, *([budget] if budget else []), saver],
            verbose=verbose,
        )
    seconds = time.perf_counter() - start
    final_step = update_steps(model.optimizer)
    stopped = final_step < total_steps and budget is not None and budget.stopped_at is not None
    if stopped:
        logging.getLogger(__name__).info(
            "training.time_budget_seconds=%g: stopped at step %d of %d after %.0f s (the next loop would not fit)",
            time_budget_seconds, final_step, total_steps, seconds,
        )
    record = None
    if time_budget_seconds:
        record = {"seconds": time_budget_seconds, "train_seconds": round(seconds, 1), "train_steps": total_steps,
                  "stopped": stopped}
    return LoopResult(start_step, final_step, previous + logger.history, chief,
                      checkpoints.manager.latest_checkpoint, stopped, seconds, record)
