"""Loss functions shared by the task models."""

from typing import Any

import tensorflow as tf
from keras import ops

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built


def weighted_sparse_ce(labels: Tensor, logits: Tensor, weights: Tensor) -> Tensor:
    """The original ALBERT masked-LM loss: a weighted mean of token cross-entropy.

    `sum(w * ce) / (sum(w) + 1e-5)`.

    Args:
        labels: int `[batch, num_predictions]`.
        logits: float `[batch, num_predictions, vocabulary_size]`.
        weights: float `[batch, num_predictions]`, 0 on padding predictions.

    Returns:
        A float32 scalar.
    """
    logits = ops.cast(logits, "float32")
    weights = ops.cast(weights, "float32")
    log_probs = ops.log_softmax(logits, axis=-1)
    nll = -ops.take_along_axis(log_probs, ops.expand_dims(ops.cast(labels, "int32"), -1), axis=-1)[..., 0]
    return ops.sum(nll * weights) / (ops.sum(weights) + 1e-5)


def mean_sparse_ce(labels: Tensor, logits: Tensor) -> Tensor:
    """Mean cross-entropy of int `labels` `[...]` against `logits` `[..., C]`."""
    weights = ops.ones(ops.shape(labels), "float32")
    return weighted_sparse_ce(labels, logits, weights) * (1.0 + 1e-5 / ops.sum(weights))


def weighted_accuracy(labels: Tensor, logits: Tensor, weights: Tensor) -> tuple[Tensor, Tensor]:
    """Weighted top-1 accuracy; returns (correct_sum, weight_sum) float32 scalars."""
    predictions = ops.cast(ops.argmax(logits, axis=-1), "int32")
    correct = ops.cast(ops.equal(predictions, ops.cast(labels, "int32")), "float32")
    weights = ops.cast(weights, "float32")
    return ops.sum(correct * weights), ops.sum(weights)


def scale_for_distribution(loss: Tensor) -> Tensor:
    """Divides a per-replica loss by the replica count of the current strategy.

    Keras sums gradients over replicas, so a custom `compute_loss` must scale
    its per-replica mean like Keras' own losses do.
    """
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    if replicas > 1:
        loss = loss * (1.0 / replicas)
    return loss
