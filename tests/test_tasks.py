"""Every task model compiles, overfits a tiny fixed batch, and round-trips."""


import keras
import numpy as np
import pytest
import tensorflow as tf

from albert_keras import (
    AlbertClassifier,
    AlbertMultipleChoice,
    AlbertPretrainer,
    AlbertQuestionAnswerer,
    AlbertTokenClassifier,
)
from tests.model_helpers import random_inputs, randomize_weights, tiny_backbone
from tests.test_case import run_model_saving_test, run_task_test

B, T = 8, 10


def _pretraining_batch():
    rng = np.random.default_rng(0)
    x = random_inputs(batch=B, seq_len=T, num_real=[10, 10, 9, 8, 7, 6, 10, 5])
    x["mask_positions"] = rng.integers(1, 5, (B, 3)).astype("int32")
    y = {
        "mlm_ids": rng.integers(5, 30, (B, 3)).astype("int32"),
        "mlm_weights": np.array([[1, 1, 0]] * B, "float32"),
        "sop_label": rng.integers(0, 2, (B,)).astype("int32"),
    }
    return x, y


def _cases():
    """name -> (build(backbone), x, y, expected output shape)."""
    rng = np.random.default_rng(1)
    x = random_inputs(batch=B, seq_len=T, num_real=[10, 9, 8, 7, 10, 6, 5, 10])
    token_labels = rng.integers(0, 3, (B, T)).astype("int32")
    token_labels[:, 0] = -100
    other = random_inputs(batch=B, seq_len=T, num_real=[6, 7, 8, 9, 10, 10, 9, 8], seed=9)
    choice_x = {k: np.stack([v, other[k]], axis=1) for k, v in x.items()}
    return {
        "pretrainer": (
            lambda b: AlbertPretrainer(b),
            *_pretraining_batch(),
            {"mlm_logits": (B, 3, 30), "sop_logits": (B, 2)},
        ),
        "classifier": (
            lambda b: AlbertClassifier(b, num_classes=3, dropout=0.0), x, rng.integers(0, 3, (B,)), (B, 3)
        ),
        "regression": (
            lambda b: AlbertClassifier(b, num_classes=1, regression=True, dropout=0.0),
            x,
            rng.normal(size=(B, 1)).astype("float32"),
            (B, 1),
        ),
        "token_classifier": (
            lambda b: AlbertTokenClassifier(b, num_classes=3, dropout=0.0), x, token_labels, (B, T, 3)
        ),
        "question_answerer": (
            lambda b: AlbertQuestionAnswerer(b),
            x,
            {
                "start_positions": rng.integers(0, 3, (B,)),
                "end_positions": rng.integers(3, 5, (B,)),
                "is_impossible": rng.integers(0, 2, (B,)),
            },
            {"start_logits": (B, T), "end_logits": (B, T), "answerable_logits": (B,)},
        ),
        "multiple_choice": (
            lambda b: AlbertMultipleChoice(b, dropout=0.0), choice_x, rng.integers(0, 2, (B,)), (B, 2)
        ),
    }


CASES = sorted(_cases())


@pytest.mark.parametrize("name", CASES)
def test_task_overfits_a_fixed_batch(name):
    keras.utils.set_random_seed(0)
    build, x, y, _ = _cases()[name]
    # One unshared layer: the head and its loss are what learn here (sharing has its own tests), and
    # tracing the train step of the 2 x 2 shared backbone took ~17 s of a ~30 s test.
    model = build(tiny_backbone(num_layers=1, num_groups=1, num_inner_repetitions=1))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    start = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    model.fit(tf.data.Dataset.from_tensors((x, y)).repeat(80), epochs=1, verbose=0)
    end = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert end < 0.5 * start, (name, start, end)


@pytest.mark.parametrize("name", CASES)
def test_task_common_checks(name):
    """Predict shapes, config round trip, one fit step with a finite loss, float32 outputs under mixed_bfloat16."""
    build, x, y, shape = _cases()[name]
    run_task_test(lambda dtype=None: build(tiny_backbone(dtype=dtype)), x, y, expected_output_shape=shape)


@pytest.mark.parametrize("name", CASES)
def test_task_keras_file_and_model_dir_round_trips(name, tmp_path):
    build, x, _, _ = _cases()[name]
    model = build(tiny_backbone())
    randomize_weights(model, seed=5)
    run_model_saving_test(model, x, tmp_path)


def test_mlm_head_is_tied_to_the_token_table():
    model = AlbertPretrainer(tiny_backbone())
    table = model.backbone.token_embedding.embeddings
    assert model.mlm_head.token_embedding.embeddings is table
    own = {id(w) for w in model.mlm_head.trainable_weights} - {id(table)}
    assert len(own) == 5  # transform kernel/bias, LayerNorm gamma/beta, output bias


def test_pretrainer_honours_mlm_weights():
    x, y = _pretraining_batch()
    model = AlbertPretrainer(tiny_backbone())
    model.compile()
    weighted = model.evaluate(x, y, verbose=0, return_dict=True)["mlm_loss"]
    changed = dict(y, mlm_ids=y["mlm_ids"].copy())
    changed["mlm_ids"][:, 2] = (changed["mlm_ids"][:, 2] + 7) % 30  # label under weight 0
    assert model.evaluate(x, changed, verbose=0, return_dict=True)["mlm_loss"] == pytest.approx(weighted, rel=1e-6)
    unweighted = dict(changed, mlm_weights=np.ones_like(y["mlm_weights"]))
    assert model.evaluate(x, unweighted, verbose=0, return_dict=True)["mlm_loss"] != pytest.approx(weighted)


def test_pretrainer_rejects_missing_labels():
    x, y = _pretraining_batch()
    model = AlbertPretrainer(tiny_backbone())
    model.compile()
    with pytest.raises(ValueError, match="sop_label"):
        model.evaluate(x, {k: v for k, v in y.items() if k != "sop_label"}, verbose=0)


def test_classifier_rejects_bad_labels_list():
    with pytest.raises(ValueError, match="`class_labels` must have `num_classes` entries"):
        AlbertClassifier(tiny_backbone(), num_classes=3, class_labels=["a", "b"])


def test_heads_follow_the_backbone_mixed_precision_policy():
    """Under mixed_bfloat16 the heads compute in bfloat16 (their logits layers in float32), like the encoder."""
    backbone = tiny_backbone(dtype="mixed_bfloat16")
    assert backbone.dtype_policy.name == "mixed_bfloat16"
    pretrainer = AlbertPretrainer(backbone)
    assert pretrainer.mlm_head.compute_dtype == "bfloat16"
    assert pretrainer.sop_head.compute_dtype == "float32"
    classifier = AlbertClassifier(tiny_backbone(dtype="mixed_bfloat16"), num_classes=3)
    dropout = classifier.get_layer("output_dropout")
    assert dropout.compute_dtype == "bfloat16"
    outputs = pretrainer.predict(dict(random_inputs(), mask_positions=np.array([[1, 2]] * 3, "int32")), verbose=0)
    assert all(v.dtype == np.float32 for v in outputs.values())
