"""`evaluate_pretrainer`: exact weighted metrics and the best-constant baseline."""

import math

import numpy as np
import pytest
import tensorflow as tf

from albert_keras.training.evaluation import evaluate_pretrainer

V = 6


class FixedLogits:
    """A stand-in pretrainer: its MLM answer is `mask_positions` itself; SOP always 0."""

    def __call__(self, x, training=False):
        guess = x["mask_positions"]  # the fake model "predicts" the id stored here
        mlm = tf.one_hot(guess, V) * 5.0
        sop = tf.tile(tf.constant([[1.0, 0.0]]), [tf.shape(guess)[0], 1])
        return {"mlm_logits": mlm, "sop_logits": sop}


def _dataset(guesses, labels, weights, sop):
    x = {"mask_positions": tf.constant(guesses, tf.int32)}
    y = {"mlm_ids": tf.constant(labels, tf.int32), "mlm_weights": tf.constant(weights, tf.float32),
         "sop_label": tf.constant(sop, tf.int32)}
    return tf.data.Dataset.from_tensors((x, y)).unbatch().batch(2)


def test_metrics_are_exact_and_weights_are_honoured():
    guesses = [[1, 2, 3], [1, 1, 0], [5, 5, 5]]
    labels = [[1, 2, 4], [1, 3, 0], [5, 3, 2]]
    weights = [[1, 1, 1], [1, 1, 0], [1, 1, 0]]  # two padding predictions (label 0, and 2)
    result = evaluate_pretrainer(FixedLogits(), _dataset(guesses, labels, weights, [0, 1, 0]))
    # Counted: (1,1) (2,2) (3,4) | (1,1) (1,3) | (5,5) (5,3): 4 of 7 right.
    assert result["mlm_accuracy"] == pytest.approx(4 / 7)
    assert result["num_predictions"] == 7 and result["num_examples"] == 3
    assert result["sop_accuracy"] == pytest.approx(2 / 3)
    # Weighted labels: 1 ×2, 2 ×1, 4 ×1, 3 ×2, 5 ×1 → the best constant (1, the lowest tied id) is right 2/7.
    assert result["best_constant_accuracy"] == pytest.approx(2 / 7)
    assert result["best_constant_id"] == 1
    right = -math.log(math.exp(5) / (math.exp(5) + V - 1))
    wrong = -math.log(1 / (math.exp(5) + V - 1))
    assert result["mlm_loss"] == pytest.approx((4 * right + 3 * wrong) / 7)
    assert result["perplexity"] == pytest.approx(math.exp(result["mlm_loss"]))


def test_unigram_baseline_uses_the_training_counts():
    counts = np.zeros(V, np.int64)
    counts[3] = 10
    result = evaluate_pretrainer(
        FixedLogits(), _dataset([[3, 3]], [[3, 1]], [[1, 1]], [1]), unigram_counts=counts
    )
    assert result["unigram_baseline_id"] == 3
    assert result["unigram_baseline_accuracy"] == pytest.approx(0.5)
    assert result["best_constant_accuracy"] == pytest.approx(0.5)


def test_data_without_predictions_is_an_error():
    with pytest.raises(ValueError, match="no masked predictions"):
        evaluate_pretrainer(FixedLogits(), _dataset([[1]], [[1]], [[0]], [0]))
