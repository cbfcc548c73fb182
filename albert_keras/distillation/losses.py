"""Distillation losses."""

from typing import Any

from keras import ops


def soft_target_kl(student_logits: Any, teacher_logits: Any, weights: Any, temperature: float) -> Any:
    """Temperature-scaled KL(teacher || student) at the masked positions.

    Multiplied by `temperature**2` so its gradient scale does not depend on T
    (Hinton et al., 2015).

    Args:
        student_logits: `[batch, num_predictions, vocabulary_size]`.
        teacher_logits: same shape; treated as constants.
        weights: `[batch, num_predictions]`, 0 on padding predictions.
        temperature: T > 0.

    Returns:
        A float32 scalar: the weighted mean over predictions.
    """
    s = ops.cast(student_logits, "float32") / temperature
    t = ops.stop_gradient(ops.cast(teacher_logits, "float32")) / temperature
    t_log_probs = ops.log_softmax(t, axis=-1)
    kl = ops.sum(ops.exp(t_log_probs) * (t_log_probs - ops.log_softmax(s, axis=-1)), axis=-1)
    weights = ops.cast(weights, "float32")
    return temperature**2 * ops.sum(kl * weights) / (ops.sum(weights) + 1e-5)


def hidden_mse(student_hidden: Any, teacher_hidden: Any, padding_mask: Any) -> Any:
    """Mean squared error over real tokens between two `[batch, seq_len, H]` tensors."""
    diff = ops.cast(student_hidden, "float32") - ops.stop_gradient(ops.cast(teacher_hidden, "float32"))
    mask = ops.cast(padding_mask, "float32")[..., None]
    width = ops.cast(ops.shape(diff)[-1], "float32")
    return ops.sum(ops.square(diff) * mask) / (ops.sum(mask) * width + 1e-5)


def attention_kl(student_scores: Any, teacher_scores: Any, padding_mask: Any) -> Any:
    """KL(teacher ‖ student) between attention distributions, as in MiniLM.

    Args:
        student_scores: `[batch, heads, seq_len, seq_len]` attention logits
            (padding keys already at -10000).
        teacher_scores: same shape; treated as constants.
        padding_mask: `[batch, seq_len]`, 1 on real tokens; padding query
            rows are left out.

    Returns:
        A float32 scalar: the mean over heads and real query positions.
    """
    t_log_probs = ops.log_softmax(ops.stop_gradient(ops.cast(teacher_scores, "float32")), axis=-1)
    s_log_probs = ops.log_softmax(ops.cast(student_scores, "float32"), axis=-1)
    kl = ops.sum(ops.exp(t_log_probs) * (t_log_probs - s_log_probs), axis=-1)  # [B, N, T]
    mask = ops.cast(padding_mask, "float32")[:, None, :]
    heads = ops.cast(ops.shape(kl)[1], "float32")
    return ops.sum(kl * mask) / (ops.sum(mask) * heads + 1e-5)
