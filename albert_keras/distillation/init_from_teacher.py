"""Initialising a student's layers from its teacher's (as DistilBERT does)."""

import numpy as np

from albert_keras.tasks.pretrainer import AlbertPretrainer

# Group name -> functions that return the (student, teacher) layers to copy, in order.
INIT_GROUPS = {
    # Token, position and segment embeddings and their LayerNorm: all E-wide.
    "embeddings": lambda m: [
        m.backbone.token_embedding,
        m.backbone.position_embedding,
        m.backbone.segment_embedding,
        m.backbone.embeddings_layer_norm,
    ],
    # The E -> H projection: needs the same E and H.
    "embeddings_projection": lambda m: [m.backbone.embeddings_projection],
    # The MLM head's output bias (V) and LayerNorm (E): the tied decoder's own weights.
    "mlm_output": lambda m: [m.mlm_head.layer_norm, m.mlm_head],
}


def _own_weights(layer, model):
    """`layer`'s weights, without those of its sublayers copied by another entry (the MLM head's bias only)."""
    if layer is model.mlm_head:
        return [layer.output_bias]
    return list(layer.weights)


def init_from_teacher(student: AlbertPretrainer, teacher: AlbertPretrainer, groups: list[str]) -> int:
    """Copies the named groups of weights from `teacher` into `student`, bit for bit.

    Args:
        student: an `AlbertPretrainer` (changed in place).
        teacher: an `AlbertPretrainer` with the same vocabulary.
        groups: names from `INIT_GROUPS`: "embeddings" (token, position and
            segment embeddings and their LayerNorm; needs the same
            `embedding_dim` and no more student positions than the teacher
            has), "embeddings_projection" (the E → H projection; needs the
            same E and H), "mlm_output" (the MLM head's output bias and
            LayerNorm; needs the same E).

    Returns:
        The number of scalars copied.

    Raises:
        ValueError: an unknown group, backbones with different
            `embedding_projection`, or a weight whose shape differs between
            student and teacher (nothing is copied then).
    """
    unknown = [g for g in groups if g not in INIT_GROUPS]
    if unknown:
        raise ValueError(f"distill.init_from_teacher: unknown groups {unknown}; known: {sorted(INIT_GROUPS)}")
    layouts = {getattr(m.backbone, "embedding_projection", "after_norm") for m in (student, teacher)}
    if len(layouts) > 1:
        raise ValueError(
            "distill.init_from_teacher: the student and the teacher must share `embedding_projection` (same-shaped "
            "tables mean different things in 'after_norm' and 'token_only'). Received: student "
            f"{student.backbone.embedding_projection!r}, teacher {teacher.backbone.embedding_projection!r}"
        )
    pairs = []
    for group in groups:
        for s_layer, t_layer in zip(INIT_GROUPS[group](student), INIT_GROUPS[group](teacher), strict=False):
            for s_var, t_var in zip(_own_weights(s_layer, student), _own_weights(t_layer, teacher), strict=False):
                if tuple(s_var.shape) != tuple(t_var.shape):
                    raise ValueError(
                        f"distill.init_from_teacher: group {group!r} needs equal shapes, but the student's "
                        f"{s_var.path} is {tuple(s_var.shape)} and the teacher's {t_var.path} is "
                        f"{tuple(t_var.shape)}. Give the student the teacher's embedding_dim"
                        f"{' and hidden_dim' if group == 'embeddings_projection' else ''}, or drop {group!r}."
                    )
                pairs.append((s_var, t_var))
    for s_var, t_var in pairs:
        s_var.assign(np.asarray(t_var.numpy(), dtype=s_var.dtype))
    return sum(int(np.prod(s.shape)) for s, _ in pairs)
