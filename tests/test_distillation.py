import keras
import numpy as np
import pytest
import tensorflow as tf

from albert_keras.distillation.distiller import AlbertDistiller, last_layer_attention_scores, with_hidden_states
from albert_keras.distillation.init_from_teacher import init_from_teacher
from albert_keras.distillation.layer_map import default_layer_map, resolve_layer_map
from albert_keras.distillation.losses import soft_target_kl
from albert_keras.tasks.pretrainer import AlbertPretrainer
from tests.model_helpers import random_inputs, randomize_weights, tiny_backbone


@pytest.mark.parametrize(
    "student, teacher, expected",
    [(4, 12, [2, 5, 8, 11]), (6, 12, [1, 3, 5, 7, 9, 11]), (3, 4, [0, 2, 3]), (2, 3, [1, 2]), (4, 4, [0, 1, 2, 3]),
     (1, 24, [23]), (5, 3, [0, 0, 1, 1, 2])],
)
def test_default_layer_map(student, teacher, expected):
    assert default_layer_map(student, teacher) == expected
    # The formula of the issue: round((i + 1) * L_t / L_s) - 1, halves up.
    assert all(t == int((i + 1) * teacher / student + 0.5) - 1 for i, t in enumerate(expected))


def test_explicit_layer_map_and_errors():
    assert resolve_layer_map({1: 3, 0: 0}, 2, 4) == [(0, 0), (1, 3)]
    assert resolve_layer_map([[0, 1]], 2, 4) == [(0, 1)]
    with pytest.raises(ValueError, match="out of range"):
        resolve_layer_map({2: 0}, 2, 4)
    with pytest.raises(ValueError, match="out of range"):
        resolve_layer_map({0: 4}, 2, 4)


def test_soft_target_kl_is_zero_for_equal_logits_and_positive_otherwise():
    logits = tf.random.normal((2, 3, 7))
    weights = tf.ones((2, 3))
    assert float(soft_target_kl(logits, logits, weights, 2.0)) == pytest.approx(0.0, abs=1e-5)
    assert float(soft_target_kl(logits, logits * 0.5, weights, 2.0)) > 1e-3


def _batch():
    rng = np.random.default_rng(0)
    x = random_inputs(batch=4, seq_len=10, num_real=[10, 8, 6, 10])
    x["mask_positions"] = rng.integers(1, 6, (4, 3)).astype("int32")
    y = {
        "mlm_ids": rng.integers(5, 30, (4, 3)).astype("int32"),
        "mlm_weights": np.ones((4, 3), "float32"),
        "sop_label": rng.integers(0, 2, (4,)).astype("int32"),
    }
    return x, y


def _models():
    teacher = AlbertPretrainer(tiny_backbone(num_layers=4, num_groups=1, num_inner_repetitions=1, hidden_dim=12,
                                             output_hidden_states=True))
    student = AlbertPretrainer(tiny_backbone(num_layers=2, num_groups=1, num_inner_repetitions=1, hidden_dim=8,
                                             output_hidden_states=True))
    return student, teacher


def test_teacher_is_frozen_and_every_term_trains_the_student():
    student, teacher = _models()
    before = [w.numpy().copy() for w in teacher.weights]
    distiller = AlbertDistiller(student, teacher, temperature=2.0)
    x, y = _batch()
    trainable = {id(w) for w in distiller.trainable_weights}
    assert not trainable & {id(w) for w in teacher.weights}
    assert {id(w) for w in student.trainable_weights} <= trainable

    for term in ("kd", "mlm", "sop", "hidden"):
        only = {name: 1.0 if name == term else 0.0 for name in ("kd", "mlm", "sop", "hidden")}
        distiller.loss_weights_by_term = only
        with tf.GradientTape(persistent=True) as tape:
            y_pred = distiller(x, training=True)
            loss = distiller.compute_loss(x, y, y_pred)
        student_grads = tape.gradient(loss, student.trainable_weights)
        teacher_grads = tape.gradient(loss, teacher.weights)
        assert any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in student_grads), term
        assert all(g is None or float(tf.reduce_max(tf.abs(g))) == 0 for g in teacher_grads), term

    distiller.loss_weights_by_term = {"kd": 1.0, "mlm": 1.0, "sop": 1.0, "hidden": 1.0}
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = distiller.fit(tf.data.Dataset.from_tensors((x, y)).repeat(20), epochs=1, verbose=0).history
    for name in ("kd_loss", "mlm_loss", "sop_loss", "hidden_loss", "mlm_accuracy"):
        assert name in history
    for b, w in zip(before, teacher.weights, strict=False):
        np.testing.assert_array_equal(b, w.numpy())
    first = distiller.evaluate(x, y, verbose=0, return_dict=True)
    assert first["hidden_loss"] > 0


@pytest.mark.parametrize("seed", [0, 1])
def test_distillation_reduces_kd_loss(seed):
    keras.utils.set_random_seed(seed)
    student, teacher = _models()
    randomize_weights(teacher, seed=seed, scale=0.3)  # a teacher with confident, non-uniform predictions
    distiller = AlbertDistiller(student, teacher, loss_weights={"mlm": 0.0, "sop": 0.0})
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2))
    x, y = _batch()
    start = distiller.evaluate(x, y, verbose=0, return_dict=True)
    distiller.fit(tf.data.Dataset.from_tensors((x, y)).repeat(60), epochs=1, verbose=0)
    end = distiller.evaluate(x, y, verbose=0, return_dict=True)
    assert start["kd_loss"] > 0.05, start
    assert end["kd_loss"] < 0.5 * start["kd_loss"], (start, end)
    assert end["hidden_loss"] < start["hidden_loss"]


def test_bad_arguments():
    student, teacher = _models()
    with pytest.raises(ValueError, match="Unknown loss weights"):
        AlbertDistiller(student, teacher, loss_weights={"cosine": 1.0})
    with pytest.raises(ValueError, match="output_hidden_states=True"):
        AlbertDistiller(AlbertPretrainer(tiny_backbone()), teacher)
    other = AlbertPretrainer(tiny_backbone(vocabulary_size=31, output_hidden_states=True))
    with pytest.raises(ValueError, match="share the teacher's vocabulary"):
        AlbertDistiller(other, teacher)
    copy = with_hidden_states(AlbertPretrainer(tiny_backbone()))
    assert copy.backbone.output_hidden_states


def _values(model):
    return {w.path: w.numpy().copy() for w in model.weights}


def test_init_from_teacher_copies_the_named_groups_bit_for_bit():
    student, teacher = _models()  # same E (6) and vocabulary, H 8 vs 12
    randomize_weights(teacher, seed=3)
    randomize_weights(student, seed=4)
    before, teacher_before = _values(student), _values(teacher)
    copied = init_from_teacher(student, teacher, ["embeddings", "mlm_output"])
    b = student.backbone
    pairs = [(b.token_embedding, teacher.backbone.token_embedding),
             (b.position_embedding, teacher.backbone.position_embedding),
             (b.segment_embedding, teacher.backbone.segment_embedding),
             (b.embeddings_layer_norm, teacher.backbone.embeddings_layer_norm),
             (student.mlm_head.layer_norm, teacher.mlm_head.layer_norm)]
    expected = {}
    for s_layer, t_layer in pairs:
        for s_var, t_var in zip(s_layer.weights, t_layer.weights, strict=False):
            expected[s_var.path] = t_var
    expected[student.mlm_head.output_bias.path] = teacher.mlm_head.output_bias
    assert copied == sum(int(np.prod(v.shape)) for v in expected.values())
    for w in student.weights:
        if w.path in expected:
            np.testing.assert_array_equal(w.numpy(), expected[w.path].numpy())
        else:  # everything else (projection, layers, MLM transform, pooler, SOP) keeps its own values
            np.testing.assert_array_equal(w.numpy(), before[w.path])
    for w in teacher.weights:
        np.testing.assert_array_equal(w.numpy(), teacher_before[w.path])


def test_init_from_teacher_errors_on_shape_mismatch_and_unknown_groups():
    student, teacher = _models()
    before = _values(student)
    with pytest.raises(ValueError, match="embeddings_projection.*needs equal shapes.*hidden_dim"):
        init_from_teacher(student, teacher, ["embeddings", "embeddings_projection"])
    for w in student.weights:  # nothing was copied, not even the groups that matched
        np.testing.assert_array_equal(w.numpy(), before[w.path])
    wide = AlbertPretrainer(tiny_backbone(embedding_dim=4, output_hidden_states=True))
    with pytest.raises(ValueError, match="'embeddings' needs equal shapes"):
        init_from_teacher(wide, teacher, ["embeddings"])
    with pytest.raises(ValueError, match="unknown groups"):
        init_from_teacher(student, teacher, ["encoder"])
    same = AlbertPretrainer(tiny_backbone(num_layers=4, num_groups=1, num_inner_repetitions=1, hidden_dim=12,
                                          output_hidden_states=True))
    init_from_teacher(same, teacher, ["embeddings_projection"])
    np.testing.assert_array_equal(same.backbone.embeddings_projection.kernel.numpy(),
                                  teacher.backbone.embeddings_projection.kernel.numpy())
    brightmart = AlbertPretrainer(tiny_backbone(num_layers=4, num_groups=1, num_inner_repetitions=1, hidden_dim=12,
                                                embedding_projection="token_only", output_hidden_states=True))
    with pytest.raises(ValueError, match="must share `embedding_projection`.*'token_only', teacher 'after_norm'"):
        init_from_teacher(brightmart, teacher, ["embeddings_projection"])


def test_last_layer_attention_scores_are_the_ones_the_backbone_uses():
    keras.utils.set_random_seed(0)
    model = AlbertPretrainer(tiny_backbone(num_layers=2, num_groups=2, num_inner_repetitions=1,
                                           output_hidden_states=True))
    randomize_weights(model, seed=1, scale=0.5)
    x, _ = _batch()
    hidden = model.backbone({k: x[k] for k in ("token_ids", "segment_ids", "padding_mask")})["hidden_states"]
    scores = last_layer_attention_scores(model.backbone, hidden, x["padding_mask"])
    assert tuple(scores.shape) == (4, 2, 10, 10)
    # softmax(scores) · V · W_o + b_o must give what the last attention layer computes.
    attention = model.backbone.attention_blocks["group_1_inner_layer_0"].attention
    bias = (1.0 - tf.cast(x["padding_mask"], "float32"))[:, None, None, :] * -10000.0
    expected = attention(hidden[-2], bias)
    v = tf.matmul(hidden[-2], attention.value_kernel) + attention.value_bias
    v = tf.transpose(tf.reshape(v, (4, 10, 2, 4)), (0, 2, 1, 3))
    context = tf.reshape(tf.transpose(tf.matmul(tf.nn.softmax(scores), v), (0, 2, 1, 3)), (4, 10, 8))
    np.testing.assert_allclose(tf.matmul(context, attention.output_kernel) + attention.output_bias, expected,
                               atol=1e-5)


def test_attention_loss_trains_the_student_only_and_checks_shapes():
    student, teacher = _models()
    distiller = AlbertDistiller(student, teacher, loss_weights={"kd": 0.0, "mlm": 0.0, "sop": 0.0, "hidden": 0.0,
                                                                "attention": 1.0})
    x, y = _batch()
    with tf.GradientTape(persistent=True) as tape:
        y_pred = distiller(x, training=True)
        loss = distiller.compute_loss(x, y, y_pred)
    assert float(loss) > 0
    student_grads = tape.gradient(loss, student.trainable_weights)
    assert any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in student_grads)
    assert all(g is None or float(tf.reduce_max(tf.abs(g))) == 0 for g in tape.gradient(loss, teacher.weights))
    assert "attention_loss" in distiller.trackers
    assert "attention_loss" not in AlbertDistiller(*_models()).trackers  # off by default
    four_heads = AlbertPretrainer(tiny_backbone(num_layers=2, num_groups=1, num_inner_repetitions=1, num_heads=4,
                                                 output_hidden_states=True))
    with pytest.raises(ValueError, match="equal num_heads"):
        AlbertDistiller(four_heads, teacher, loss_weights={"attention": 1.0})
