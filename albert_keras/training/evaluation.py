"""Held-out evaluation of a pretrainer: MLM accuracy, SOP accuracy, perplexity."""

import math

import keras
import numpy as np
import tensorflow as tf

from albert_keras import features


def evaluate_pretrainer(
    model: keras.Model, dataset: tf.data.Dataset, max_batches: int = 0, unigram_counts: np.ndarray | None = None
) -> dict[str, float]:
    """Exact weighted MLM/SOP metrics over a dataset.

    Args:
        model: an `AlbertPretrainer`.
        dataset: batched `(x, y)` pairs (fixed masks for repeatable numbers).
        max_batches: stop after this many batches (0: all).
        unigram_counts: optional int `[V]` training-token counts; adds
            `unigram_baseline_accuracy`, the MLM accuracy of always
            predicting the most frequent training token.

    Returns:
        A dict: mlm_accuracy, mlm_loss (mean cross-entropy per masked
        token), perplexity (`exp(mlm_loss)`), sop_accuracy,
        num_predictions, num_examples; best_constant_accuracy and
        best_constant_id, the accuracy of the best single answer for every
        masked token of this data (an upper bound for any model that ignores
        the context); and the unigram baseline when asked.
    """

    @tf.function
    def step(x: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        out = model(x, training=False)
        return out["mlm_logits"], out["sop_logits"]

    baseline_id = int(np.argmax(unigram_counts)) if unigram_counts is not None else None
    sums = dict(mlm_correct=0.0, mlm_nll=0.0, weight=0.0, sop_correct=0.0, examples=0)
    label_counts = None  # float64 [V]: weighted counts of the masked labels
    for i, (x, y) in enumerate(dataset):
        if max_batches and i >= max_batches:
            break
        mlm_logits, sop_logits = step(x)
        mlm_logits = mlm_logits.numpy().astype(np.float64)
        labels = y[features.MLM_IDS].numpy()
        weights = y[features.MLM_WEIGHTS].numpy().astype(np.float64)
        log_probs = mlm_logits - _logsumexp(mlm_logits)
        nll = -np.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]
        sums["mlm_nll"] += float((nll * weights).sum())
        sums["mlm_correct"] += float(((mlm_logits.argmax(-1) == labels) * weights).sum())
        sums["weight"] += float(weights.sum())
        batch_counts = np.bincount(labels.reshape(-1), weights=weights.reshape(-1), minlength=mlm_logits.shape[-1])
        label_counts = batch_counts if label_counts is None else label_counts + batch_counts
        sop = y[features.SOP_LABEL].numpy().reshape(-1)
        sums["sop_correct"] += float((sop_logits.numpy().argmax(-1) == sop).sum())
        sums["examples"] += len(sop)
    if sums["weight"] == 0:
        raise ValueError("The evaluation data holds no masked predictions.")
    mlm_loss = sums["mlm_nll"] / sums["weight"]
    result = {
        "mlm_accuracy": sums["mlm_correct"] / sums["weight"],
        "mlm_loss": mlm_loss,
        "perplexity": math.exp(min(mlm_loss, 700.0)),
        "sop_accuracy": sums["sop_correct"] / sums["examples"],
        "num_predictions": int(sums["weight"]),
        "num_examples": int(sums["examples"]),
        "best_constant_accuracy": float(label_counts.max()) / sums["weight"],
        "best_constant_id": int(label_counts.argmax()),
    }
    if baseline_id is not None:
        result["unigram_baseline_accuracy"] = float(label_counts[baseline_id]) / sums["weight"]
        result["unigram_baseline_id"] = baseline_id
    return result


def _logsumexp(logits):
    top = logits.max(-1, keepdims=True)
    return top + np.log(np.exp(logits - top).sum(-1, keepdims=True))
