"""`albert distill` end to end on the bundled corpus, and whether distillation helps."""

import json
import os

import pytest

from albert_keras.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = ["data/fortunes/computers.txt", "data/fortunes/science.txt", "data/fortunes/politics.txt",
          "data/fortunes/food.txt"]
TEACHER_STEPS = 800
STUDENT_STEPS = 200
SEEDS = (0, 1)
SPLIT = {}


def _common(run_dir, steps, seed):
    data = [f"data.train_files=[{SPLIT['train']}]", f"data.eval_files=[{SPLIT['eval']}]"] if SPLIT else []
    return [item for value in data for item in ("--set", value)] + [
        "--set", f"training.run_dir={run_dir}",
        "--set", f"training.train_steps={steps}",
        "--set", "training.steps_per_loop=100",
        "--set", "training.checkpoint_every=0",
        "--set", f"training.seed={seed}",
        "--set", "training.verbose=0",
        "--fresh",
    ]


def _eval_accuracy(run_dir):
    with open(os.path.join(run_dir, "metrics.json")) as f:
        return json.load(f)["eval"]["mlm_accuracy"]


def _teacher_accuracy(run_dir):
    with open(os.path.join(run_dir, "metrics.json")) as f:
        return json.load(f)["distill"]["teacher_eval"]["mlm_accuracy"]


def _split_corpus(directory):
    """Every 10th document of the corpus into eval.txt, the rest into train.txt.

    One held-out set for every run: the seeds change the students' init,
    data order and masking, not what they are evaluated on, and the teacher
    never trains on it (with `eval_fraction` the split would follow the seed).
    """
    from albert_keras.data.corpus import read_corpus

    documents = read_corpus([os.path.join(ROOT, f) for f in CORPUS], "fortune")
    for name, keep in (("train", lambda i: i % 10), ("eval", lambda i: not i % 10)):
        path = os.path.join(directory, f"{name}.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n%\n".join(d for i, d in enumerate(documents) if keep(i)) + "\n%\n")
        SPLIT[name] = path


@pytest.fixture(scope="module")
def teacher_dir(tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("teacher"))
    _split_corpus(str(tmp_path_factory.mktemp("corpus")))
    os.chdir(ROOT)
    assert main(["pretrain", "--config", "configs/pretrain/tiny_cpu.yaml"] + _common(run_dir, TEACHER_STEPS, 0)) == 0
    return os.path.join(run_dir, "model")


def test_distill_rejects_a_teacher_that_is_not_a_model_dir(tmp_path, capsys):
    os.chdir(ROOT)
    code = main(["distill", "--teacher", str(tmp_path), "--student", "albert_tiny",
                 "--config", "configs/distill/tiny_cpu.yaml"])
    assert code == 2
    assert "distill.teacher" in capsys.readouterr().err


@pytest.mark.slow
def test_distillation_end_to_end_and_measured_margin(teacher_dir, tmp_path):
    """Distillation beats plain pretraining of the same student at the same steps, on every seed.

    KD uses configs/distill/tiny_cpu.yaml as shipped (student initialised
    from the teacher's embeddings and MLM output layer, soft targets at T=1,
    hard losses, hidden-state MSE). The margin is printed; see the README's
    distillation section for the measured figures.
    """
    from albert_keras import AlbertPretrainer
    from albert_keras.model_dir import read_config

    with_kd, without_kd = [], []
    for seed in SEEDS:
        kd_dir, plain_dir = str(tmp_path / f"kd{seed}"), str(tmp_path / f"plain{seed}")
        student = ["--student", "configs/distill/student_tiny.yaml", "--config", "configs/distill/tiny_cpu.yaml"]
        assert main(["distill", "--teacher", teacher_dir] + student + _common(kd_dir, STUDENT_STEPS, seed)) == 0
        # The same student, data, steps and seed, without a teacher: plain pretraining on the teacher's vocab.
        plain = ["pretrain", "--config", "configs/distill/tiny_cpu.yaml", "--set", f"data.spm={teacher_dir}",
                 "--set", "model.init=albert_tiny"]
        plain += [item for pair in (("--set", f"model.overrides.{k}={v}") for k, v in {
            "num_layers": 1, "num_heads": 2, "embedding_dim": 32, "hidden_dim": 32, "intermediate_dim": 64,
            "max_sequence_length": 64}.items()) for item in pair]
        assert main(plain + _common(plain_dir, STUDENT_STEPS, seed)) == 0
        with_kd.append(_eval_accuracy(kd_dir))
        without_kd.append(_eval_accuracy(plain_dir))
    # The seed also draws the held-out masks, so the teacher has a figure per seed.
    teacher = [round(_teacher_accuracy(str(tmp_path / f"kd{seed}")), 4) for seed in SEEDS]
    margins = [k - p for k, p in zip(with_kd, without_kd)]
    print(f"held-out MLM accuracy: teacher {teacher}; student with KD {[round(a, 4) for a in with_kd]}, "
          f"without {[round(a, 4) for a in without_kd]}; margin per seed {[round(m, 4) for m in margins]}, "
          f"mean {sum(margins) / len(margins):+.4f}")
    assert all(0.0 < a < 1.0 for a in with_kd + without_kd), (with_kd, without_kd)
    assert all(m > 0.0 for m in margins), (with_kd, without_kd)

    student_dir = os.path.join(str(tmp_path / "kd0"), "model")
    assert read_config(student_dir)["class_name"] == "AlbertPretrainer"
    student = AlbertPretrainer.from_preset(student_dir)
    assert not student.backbone.output_hidden_states
    assert student.backbone.num_layers == 1 and student.backbone.hidden_dim == 32
    assert os.path.isfile(os.path.join(student_dir, "spiece.model"))
    metrics = json.load(open(os.path.join(str(tmp_path / "kd0"), "metrics.json")))
    assert metrics["distill"]["teacher_eval"]["mlm_accuracy"] > 0.0

    from albert_keras.export import export_saved_model
    import tensorflow as tf

    out = export_saved_model(student_dir, str(tmp_path / "serving" / "1"), sequence_length=64)
    loaded = tf.saved_model.load(out)
    answer = loaded.signatures["fill_mask"](text=tf.constant(["the [MASK] is"]), text_b=tf.constant([""]))
    assert answer["top_k_tokens"].shape[-1] == 5
