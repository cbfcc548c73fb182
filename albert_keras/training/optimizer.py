"""Builds the LAMB or AdamW optimizer with ALBERT's settings."""

import keras

from albert_keras.config import OptimizerConfig
from albert_keras.training.schedule import WarmupPolynomialDecay

# Substrings of variable names that get no weight decay: LayerNorm scale and
# offset (Keras names them gamma/beta) and every bias (bias, query_bias, ...).
NO_DECAY_NAMES = ("gamma", "beta", "bias", "LayerNorm", "layer_norm")


def build_schedule(config: OptimizerConfig, total_steps: int) -> WarmupPolynomialDecay:
    """The learning-rate schedule of an `OptimizerConfig`.

    Args:
        config: an `OptimizerConfig`.
        total_steps: optimizer updates in the run (decay length when
            `config.decay_steps` is None).

    Returns:
        A `WarmupPolynomialDecay`.
    """
    return WarmupPolynomialDecay(
        peak_learning_rate=config.learning_rate,
        decay_steps=config.decay_steps or max(1, total_steps),
        warmup_steps=config.warmup_steps,
        end_learning_rate=config.end_learning_rate,
        power=config.power,
    )


def build_optimizer(
    config: OptimizerConfig, total_steps: int, gradient_accumulation_steps: int = 1, precision: str = "float32"
) -> keras.optimizers.Optimizer:
    """LAMB or AdamW with decoupled weight decay, global clipping and the schedule.

    Weight decay skips variables whose name holds one of `NO_DECAY_NAMES`.
    Under `mixed_float16` the optimizer is wrapped in a dynamic
    `keras.optimizers.LossScaleOptimizer`.

    Args:
        config: an `OptimizerConfig`.
        total_steps: optimizer updates in the run.
        gradient_accumulation_steps: micro-batches per update (1: none).
        precision: the training precision policy name.

    Returns:
        A Keras optimizer (not built).
    """
    schedule = build_schedule(config, total_steps)
    accumulation = gradient_accumulation_steps if gradient_accumulation_steps > 1 else None
    if accumulation:
        schedule.step_divisor = accumulation
    common = dict(
        learning_rate=schedule,
        beta_1=config.beta_1,
        beta_2=config.beta_2,
        epsilon=config.epsilon,
        weight_decay=config.weight_decay,
        global_clipnorm=config.global_clipnorm,
        gradient_accumulation_steps=accumulation,
    )
    if config.name == "lamb":
        optimizer = keras.optimizers.Lamb(**common)
    elif config.name == "adamw":
        optimizer = keras.optimizers.AdamW(**common)
    else:
        raise ValueError(f"optimizer.name must be 'lamb' or 'adamw'. Received: {config.name!r}")
    if config.weight_decay:
        optimizer.exclude_from_weight_decay(var_names=list(NO_DECAY_NAMES))
    if precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def current_learning_rate(optimizer: keras.optimizers.Optimizer) -> float:
    """The learning rate the next update uses, as a Python float."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return float(keras.ops.convert_to_numpy(inner.learning_rate))


def update_steps(optimizer: keras.optimizers.Optimizer) -> int:
    """Optimizer updates done so far (accumulation micro-steps not counted)."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return int(keras.ops.convert_to_numpy(inner.iterations))
