"""`albert distill` end to end on the bundled corpus.

Whether distillation helps (KD against plain pretraining of the same
student) is an experiment, not a test: bench/distill_margin.py prints it.
"""

import json
import os

import pytest

from albert_keras.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUDENT_STEPS = 30
STEPS_PER_LOOP = 5
# The teacher of configs/distill/student_tiny.yaml: configs/pretrain/tiny_cpu.yaml's backbone.
TEACHER_BACKBONE = dict(num_layers=2, num_heads=2, embedding_dim=32, hidden_dim=64, intermediate_dim=128,
                        max_sequence_length=64)


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory, spm_vocab_dir):
    """A randomly initialized teacher pretrainer model dir (training it is not what is tested here)."""
    import keras

    from albert_keras.model_dir import save_model_dir
    from albert_keras.models.backbone import AlbertBackbone
    from albert_keras.tasks.pretrainer import AlbertPretrainer
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    keras.utils.set_random_seed(0)
    vocab_size = SentencePieceEncoder(str(spm_vocab_dir)).vocabulary_size()
    teacher = AlbertPretrainer(AlbertBackbone(vocabulary_size=vocab_size, **TEACHER_BACKBONE))
    path = str(tmp_path_factory.mktemp("teacher") / "model")
    save_model_dir(teacher, path, spm_path=os.path.join(str(spm_vocab_dir), "spiece.model"),
                   tokenizer_options={"lowercase": True, "strip_accents": True})
    return path


def test_distill_rejects_a_teacher_that_is_not_a_model_dir(tmp_path, capsys):
    os.chdir(ROOT)
    code = main(["distill", "--teacher", str(tmp_path), "--student", "albert_tiny",
                 "--config", "configs/distill/tiny_cpu.yaml"])
    assert code == 2
    assert "distill.teacher" in capsys.readouterr().err


@pytest.mark.slow
def test_distill_cli_trains_a_student_model_dir_that_loads(teacher_dir, tmp_path, capsys):
    """configs/distill/tiny_cpu.yaml as shipped (XLA, init from the teacher, every loss), a few steps.

    The student lands in RUN_DIR/model with the teacher's vocabulary, loads
    as a plain `AlbertPretrainer` of the student config, and its training
    loss fell; metrics.json holds the teacher's own held-out figures.
    """
    from albert_keras import AlbertPretrainer
    from albert_keras.model_dir import read_config

    os.chdir(ROOT)
    run_dir = tmp_path / "kd"
    code = main(["distill", "--teacher", teacher_dir, "--student", "configs/distill/student_tiny.yaml",
                 "--config", "configs/distill/tiny_cpu.yaml",
                 "--set", f"training.run_dir={run_dir}",
                 "--set", f"training.train_steps={STUDENT_STEPS}",
                 "--set", f"training.steps_per_loop={STEPS_PER_LOOP}",
                 "--set", "optimizer.warmup_steps=5",
                 "--set", "training.checkpoint_every=0",
                 "--set", "training.verbose=0",
                 "--fresh"])
    assert code == 0
    assert f"steps 0 -> {STUDENT_STEPS}" in capsys.readouterr().out

    student_dir = str(run_dir / "model")
    assert read_config(student_dir)["class_name"] == "AlbertPretrainer"
    student = AlbertPretrainer.from_preset(student_dir)
    assert not student.backbone.output_hidden_states
    assert student.backbone.num_layers == 1 and student.backbone.hidden_dim == 32
    with open(os.path.join(student_dir, "spiece.model"), "rb") as a, \
            open(os.path.join(teacher_dir, "spiece.model"), "rb") as b:
        assert a.read() == b.read()

    rows = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(STEPS_PER_LOOP, STUDENT_STEPS + 1, STEPS_PER_LOOP))
    assert rows[-1]["loss"] < rows[0]["loss"], [r["loss"] for r in rows]
    for term in ("kd_loss", "mlm_loss", "hidden_loss"):
        assert rows[0][term] > 0.0, rows[0]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["distill"]["teacher"] == teacher_dir
    assert metrics["distill"]["teacher_eval"]["num_predictions"] > 0
    assert 0.0 <= metrics["eval"]["mlm_accuracy"] <= 1.0
