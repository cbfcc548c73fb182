"""`TimeBudget`: training stops after the last loop that fits, projected without the tracing loop."""

import keras
import numpy as np
import pytest

from albert_keras.training.callbacks import TimeBudget


class _Clock:
    """A fake clock that the loop times below advance (one per finished loop)."""

    def __init__(self, loop_seconds):
        self.now, self.loop_seconds = 0.0, list(loop_seconds)

    def __call__(self):
        return self.now


class _AdvanceClock(keras.callbacks.Callback):
    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def on_epoch_end(self, epoch, logs=None):  # runs before the budget's on_epoch_end
        self.clock.now += self.clock.loop_seconds[epoch]


def _fit(loop_seconds, budget_seconds):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    clock = _Clock(loop_seconds)
    budget = TimeBudget(budget_seconds, clock=clock)
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=len(loop_seconds), callbacks=[_AdvanceClock(clock), budget], verbose=0)
    return int(model.optimizer.iterations.numpy()), budget


def test_budget_stops_after_the_last_loop_that_fits():
    steps, budget = _fit([10.0] * 10, 35.0)  # after 3 loops 30 s have passed and the 4th would end at 40 s
    assert steps == 3 and budget.stopped_at == 3 and budget.elapsed == 30.0


def test_budget_projects_without_the_first_loop_once_there_are_two():
    # The first loop traces (30 s), the others take 5 s. Projected from the later loops only, loops end at
    # 30, 35, ..., 60 s within 61 s; a mean over all loops would have stopped after the 6th (55 + 9.2 > 61).
    steps, budget = _fit([30.0] + [5.0] * 9, 61.0)
    assert steps == 7 and budget.stopped_at == 7


def test_budget_that_is_never_reached_does_not_stop():
    steps, budget = _fit([1.0] * 4, 100.0)
    assert steps == 4 and budget.stopped_at is None


def test_budget_must_be_positive():
    with pytest.raises(ValueError, match=r"`seconds` must be > 0\. Received: 0"):
        TimeBudget(0)
