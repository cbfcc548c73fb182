"""The distillation section of a pretraining config (`albert distill`)."""

import dataclasses
import os

from albert_keras.config.loader import ConfigError


@dataclasses.dataclass
class DistillConfig:
    """Knowledge distillation from a teacher (`albert distill`; off when `teacher` is null).

    Attributes:
        teacher: a pretrainer model directory. The student uses its
            vocabulary (its spiece.model or vocab.txt).
        temperature: T of the soft targets.
        kd_weight, mlm_weight, sop_weight, hidden_weight: the loss weights of
            the soft-target KL, the hard MLM and SOP losses and the
            cross-layer hidden-state MSE.
        layer_map: null for student layer i → teacher layer
            `round((i + 1) * L_t / L_s) - 1`, or an explicit
            `{student_layer: teacher_layer}` mapping (0-based).
        attention_weight: weight of the KL between the teacher's and the
            student's last-layer attention distributions (MiniLM); 0 is off.
            Needs equal `num_heads` and `num_inner_repetitions: 1`.
        init_from_teacher: groups of student weights copied from the
            teacher before training (DistilBERT-style), from
            "embeddings", "embeddings_projection", "mlm_output"; each needs
            equal shapes (see `albert_keras.distillation.init_from_teacher`).
    """

    teacher: str | None = None
    temperature: float = 2.0
    kd_weight: float = 1.0
    mlm_weight: float = 1.0
    sop_weight: float = 1.0
    hidden_weight: float = 1.0
    layer_map: dict | None = None
    attention_weight: float = 0.0
    init_from_teacher: list = dataclasses.field(default_factory=list)


def check_distill(distill: DistillConfig) -> None:
    """Checks the distillation section; raises `ConfigError` naming the key."""
    if distill.teacher is not None and not os.path.isfile(os.path.join(distill.teacher, "config.json")):
        raise ConfigError(f"distill.teacher {distill.teacher!r} is not a model directory (no config.json).")
    if distill.temperature <= 0:
        raise ConfigError(f"distill.temperature must be > 0. Received: {distill.temperature}")
