"""Hooks that let `run_pretraining` train a student by distillation.

`albert_keras.training.pretrain.run_pretraining` calls these when the config
has `distill.teacher`: the data, loop, checkpoints, evaluation and model dir
are those of plain pretraining; only the model differs.
"""

from albert_keras.config import DistillConfig
from albert_keras.distillation.distiller import AlbertDistiller, with_hidden_states
from albert_keras.distillation.init_from_teacher import init_from_teacher
from albert_keras.model_dir import load_model_dir, read_config
from albert_keras.tasks.pretrainer import AlbertPretrainer


def build_distiller(
    student: AlbertPretrainer, distill_config: DistillConfig, precision: str = "float32"
) -> AlbertDistiller:
    """Wraps a freshly built student pretrainer with its teacher.

    Args:
        student: the `AlbertPretrainer` that plain pretraining would train.
        distill_config: a `DistillConfig` (teacher dir, temperature, weights,
            layer map, groups to initialise from the teacher).
        precision: the training precision, also used for the teacher.

    Returns:
        An `AlbertDistiller` (to be compiled like a pretrainer).
    """
    saved = read_config(distill_config.teacher)
    if saved["class_name"] != "AlbertPretrainer":
        raise ValueError(
            f"distill.teacher must be a pretrainer model dir (MLM head needed); "
            f"{distill_config.teacher!r} holds a {saved['class_name']}."
        )
    overrides = {"output_hidden_states": True}
    if precision != "float32":
        overrides["dtype"] = precision
    teacher = load_model_dir(distill_config.teacher, **overrides)
    if distill_config.init_from_teacher:
        init_from_teacher(student, teacher, distill_config.init_from_teacher)
    return AlbertDistiller(
        with_hidden_states(student),
        teacher,
        temperature=distill_config.temperature,
        loss_weights={
            "kd": distill_config.kd_weight,
            "mlm": distill_config.mlm_weight,
            "sop": distill_config.sop_weight,
            "hidden": distill_config.hidden_weight,
            "attention": distill_config.attention_weight,
        },
        layer_map=distill_config.layer_map,
    )


def export_student(distiller: AlbertDistiller) -> AlbertPretrainer:
    """The trained student as a plain `AlbertPretrainer` (no hidden-state outputs)."""
    return with_hidden_states(distiller.student, enabled=False)
