"""The ALBERT/BERT learning-rate schedule: linear warmup, then polynomial decay."""

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="albert_keras")
class WarmupPolynomialDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup to `peak_learning_rate`, then polynomial decay to `end_learning_rate`.

    With `u = step // step_divisor` (optimizer updates):

        lr(u) = peak * u / warmup_steps                          if u < warmup_steps
        lr(u) = (peak - end) * (1 - min(u, decay_steps) / decay_steps) ** power + end
                                                                 otherwise

    As in the original ALBERT `optimization.py`, decay counts from step 0,
    not from the end of warmup, so lr(warmup_steps) is slightly below peak.

    Args:
        peak_learning_rate: the learning rate warmup reaches.
        decay_steps: updates until `end_learning_rate` (the run length).
        warmup_steps: linear warmup updates (0: none).
        end_learning_rate: the final learning rate.
        power: decay power (1.0 is linear).
        step_divisor: optimizer iterations per update; Keras' gradient
            accumulation counts micro-batches, so this is the number of
            accumulation steps.
    """

    def __init__(
        self,
        peak_learning_rate: float,
        decay_steps: int,
        warmup_steps: int = 0,
        end_learning_rate: float = 0.0,
        power: float = 1.0,
        step_divisor: int = 1,
    ) -> None:
        if decay_steps < 1:
            raise ValueError(f"`decay_steps` must be >= 1. Received: decay_steps={decay_steps}")
        if warmup_steps < 0 or step_divisor < 1:
            raise ValueError(
                f"`warmup_steps` must be >= 0 and `step_divisor` >= 1. "
                f"Received: warmup_steps={warmup_steps}, step_divisor={step_divisor}"
            )
        self.peak_learning_rate = float(peak_learning_rate)
        self.decay_steps = int(decay_steps)
        self.warmup_steps = int(warmup_steps)
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
        self.step_divisor = int(step_divisor)

    def __call__(self, step):
        update = ops.cast(ops.floor_divide(ops.cast(step, "int64"), self.step_divisor), "float32")
        progress = ops.minimum(update, float(self.decay_steps)) / float(self.decay_steps)
        decayed = (self.peak_learning_rate - self.end_learning_rate) * ops.power(
            1.0 - progress, self.power
        ) + self.end_learning_rate
        if self.warmup_steps == 0:
            return decayed
        warmup = self.peak_learning_rate * update / float(self.warmup_steps)
        return ops.where(update < float(self.warmup_steps), warmup, decayed)

    def get_config(self) -> dict[str, Any]:
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "decay_steps": self.decay_steps,
            "warmup_steps": self.warmup_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "step_divisor": self.step_divisor,
        }


def expected_learning_rate(
    step: int, peak: float, decay_steps: int, warmup_steps: int = 0, end: float = 0.0, power: float = 1.0
) -> float:
    """The schedule's formula in plain Python, for docs and tests."""
    if warmup_steps and step < warmup_steps:
        return peak * step / warmup_steps
    progress = min(step, decay_steps) / decay_steps
    return (peak - end) * (1.0 - progress) ** power + end
