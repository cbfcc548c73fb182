"""`AlbertDistiller`: trains a student pretrainer against a frozen teacher."""

from typing import Any

import keras
from keras import ops

from albert_keras import features
from albert_keras.distillation.layer_map import resolve_layer_map
from albert_keras.distillation.losses import attention_kl, hidden_mse, soft_target_kl
from albert_keras.models.backbone import AlbertBackbone, make_attention_bias
from albert_keras.models.sharing import block_keys
from albert_keras.tasks.losses import scale_for_distribution, weighted_accuracy, weighted_sparse_ce
from albert_keras.tasks.pretrainer import AlbertPretrainer

LOSS_TERMS = ("kd", "mlm", "sop", "hidden", "attention")


def last_layer_attention_scores(
    backbone: AlbertBackbone, hidden_states: list[Any], padding_mask: Any
) -> Any:
    """The last layer's attention logits `[batch, heads, T, T]`, recomputed from its input.

    Calls the last attention block's `SelfAttention.attention_scores` on
    `hidden_states[-2]` (the last layer's input), so the backbone's own
    forward pass is unchanged. Needs `num_inner_repetitions == 1`.
    """
    plan = block_keys(backbone.sharing, backbone.num_layers, backbone.num_groups, backbone.num_inner_repetitions)
    attention = backbone.attention_blocks[plan[-1][-1][0]].attention
    return attention.attention_scores(hidden_states[-2], make_attention_bias(padding_mask))


def with_hidden_states(pretrainer: AlbertPretrainer, enabled: bool = True) -> AlbertPretrainer:
    """A copy of `pretrainer` (new variables, same values) whose backbone outputs hidden states or not.

    Args:
        pretrainer: an `AlbertPretrainer`.
        enabled: the copy's `output_hidden_states`.
    """
    config = dict(pretrainer.backbone.get_config(), output_hidden_states=enabled)
    config.pop("name", None)
    copy = AlbertPretrainer(AlbertBackbone(**config))
    copy.set_weights(pretrainer.get_weights())
    return copy


class AlbertDistiller(keras.Model):
    """Cross-layer knowledge distillation for ALBERT pretraining.

    The loss is a weighted sum of
        kd: soft-target KL on the MLM logits at the masked positions, with
            temperature T (times T²);
        mlm, sop: the student's hard pretraining losses;
        hidden: MSE between student layer i and teacher layer `map[i]`, through
            a learned linear projection when the widths differ;
        attention: KL between the teacher's and the student's last-layer
            attention distributions, per head (MiniLM); off by default, and
            only when student and teacher have equal `num_heads` and
            `num_inner_repetitions == 1`.
    Each term is logged as a metric (`kd_loss`, `mlm_loss`, `sop_loss`,
    `hidden_loss`, and `attention_loss` when its weight is not 0), with
    `mlm_accuracy` and `sop_accuracy`.

    The teacher runs in inference mode (`training=False`) and is frozen:
    its weights are not trainable and its outputs are `stop_gradient`ed.

    Inputs and labels are those of `AlbertPretrainer` (x with
    `mask_positions`; y with `mlm_ids`, `mlm_weights`, `sop_label`).

    Args:
        student: an `AlbertPretrainer` whose backbone has
            `output_hidden_states=True` (see `with_hidden_states`); trained
            in place.
        teacher: an `AlbertPretrainer` with the same vocabulary and
            `output_hidden_states=True`.
        temperature: T for the soft targets.
        loss_weights: dict over "kd", "mlm", "sop", "hidden", "attention"
            (default 1 each, attention 0).
        layer_map: None for the default map, or `{student: teacher}` pairs.
    """

    def __init__(
        self,
        student: AlbertPretrainer,
        teacher: AlbertPretrainer,
        temperature: float = 2.0,
        loss_weights: dict[str, float] | None = None,
        layer_map: dict[int, int] | list[tuple[int, int]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if student.backbone.vocabulary_size != teacher.backbone.vocabulary_size:
            raise ValueError(
                "The student must share the teacher's vocabulary. Received: student vocabulary_size="
                f"{student.backbone.vocabulary_size}, teacher vocabulary_size={teacher.backbone.vocabulary_size}"
            )
        weights = {"kd": 1.0, "mlm": 1.0, "sop": 1.0, "hidden": 1.0, "attention": 0.0}
        unknown = set(loss_weights or {}) - set(weights)
        if unknown:
            raise ValueError(f"Unknown loss weights {sorted(unknown)}; known: {list(LOSS_TERMS)}")
        weights.update(loss_weights or {})
        if temperature <= 0:
            raise ValueError(f"`temperature` must be > 0. Received: temperature={temperature}")
        for role, model in (("student", student), ("teacher", teacher)):
            if not model.backbone.output_hidden_states:
                raise ValueError(
                    f"The {role}'s backbone must be built with output_hidden_states=True; "
                    "use albert_keras.distillation.distiller.with_hidden_states(model)."
                )
        if weights["attention"]:
            s_b, t_b = student.backbone, teacher.backbone
            if s_b.num_heads != t_b.num_heads or s_b.num_inner_repetitions != 1 or t_b.num_inner_repetitions != 1:
                raise ValueError(
                    "The attention loss needs equal num_heads and num_inner_repetitions=1 in student and teacher. "
                    f"Received: num_heads {s_b.num_heads} (student) and {t_b.num_heads} (teacher), "
                    f"num_inner_repetitions {s_b.num_inner_repetitions} and {t_b.num_inner_repetitions}."
                )
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.temperature = float(temperature)
        self.loss_weights_by_term = weights
        self.layer_pairs = resolve_layer_map(layer_map, student.backbone.num_layers, teacher.backbone.num_layers)
        h_s, h_t = student.backbone.hidden_dim, teacher.backbone.hidden_dim
        self.projections = [
            keras.layers.Dense(h_t, name=f"project_student_layer_{s}") if h_s != h_t else None
            for s, _ in self.layer_pairs
        ]
        for projection in self.projections:
            if projection is not None:
                projection.build((None, None, h_s))
        self.use_attention = bool(weights["attention"])
        names = ["kd_loss", "mlm_loss", "sop_loss", "hidden_loss", "mlm_accuracy", "sop_accuracy"]
        if self.use_attention:
            names.insert(4, "attention_loss")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}

    def build(self, input_shape: Any = None) -> None:
        self.built = True

    def call(self, x: dict[str, Any], training: bool = False) -> dict[str, Any]:
        bx = {k: x[k] for k in (features.TOKEN_IDS, features.SEGMENT_IDS, features.PADDING_MASK)}
        s = self.student.backbone(bx, training=training)
        t = self.teacher.backbone(bx, training=False)
        positions = x[features.MASK_POSITIONS]
        outputs = {
            "student_mlm": self.student.mlm_head(s["sequence_output"], positions),
            "student_sop": self.student.sop_head(s["pooled_output"]),
            "teacher_mlm": ops.stop_gradient(self.teacher.mlm_head(t["sequence_output"], positions)),
            "student_hidden": s["hidden_states"],
            "teacher_hidden": [ops.stop_gradient(h) for h in t["hidden_states"]],
        }
        if self.use_attention:
            mask = x[features.PADDING_MASK]
            outputs["student_attention"] = last_layer_attention_scores(self.student.backbone, s["hidden_states"], mask)
            outputs["teacher_attention"] = ops.stop_gradient(
                last_layer_attention_scores(self.teacher.backbone, outputs["teacher_hidden"], mask)
            )
        return outputs

    def compute_loss(
        self,
        x: dict[str, Any] | None = None,
        y: dict[str, Any] | None = None,
        y_pred: dict[str, Any] | None = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        w = self.loss_weights_by_term
        mlm_weights = ops.cast(y[features.MLM_WEIGHTS], "float32")
        terms = {"kd": soft_target_kl(y_pred["student_mlm"], y_pred["teacher_mlm"], mlm_weights, self.temperature)}
        terms["mlm"] = weighted_sparse_ce(y[features.MLM_IDS], y_pred["student_mlm"], mlm_weights)
        sop_labels = ops.reshape(y[features.SOP_LABEL], (-1,))
        ones = ops.ones_like(ops.cast(sop_labels, "float32"))
        terms["sop"] = weighted_sparse_ce(sop_labels, y_pred["student_sop"], ones)
        hidden = []
        for (s, t), projection in zip(self.layer_pairs, self.projections, strict=False):
            student_h = y_pred["student_hidden"][s + 1]  # index 0 holds the embeddings
            if projection is not None:
                student_h = projection(student_h)
            hidden.append(hidden_mse(student_h, y_pred["teacher_hidden"][t + 1], x[features.PADDING_MASK]))
        terms["hidden"] = ops.mean(ops.stack(hidden)) if hidden else ops.zeros(())
        if self.use_attention:
            terms["attention"] = attention_kl(
                y_pred["student_attention"], y_pred["teacher_attention"], x[features.PADDING_MASK]
            )
        for name, value in terms.items():
            self.trackers[f"{name}_loss"].update_state(value)
        correct, total = weighted_accuracy(y[features.MLM_IDS], y_pred["student_mlm"], mlm_weights)
        self.trackers["mlm_accuracy"].update_state(correct / ops.maximum(total, 1.0), sample_weight=total)
        correct, total = weighted_accuracy(sop_labels, y_pred["student_sop"], ones)
        self.trackers["sop_accuracy"].update_state(correct / total, sample_weight=total)
        total_loss = sum(w[name] * value for name, value in terms.items())
        return scale_for_distribution(total_loss)
