"""Pretraining end to end on a slice of the corpus: run dir, resume, model dir, CLI errors."""

import glob
import json
import os

import numpy as np
import pytest

from albert_keras.config import ConfigError
from albert_keras.training.checkpoints import read_step
from albert_keras.training.pretrain import run_pretraining
from tests.training_fixtures import tiny_pretrain_config, train_small_vocab


@pytest.fixture(scope="module")
def spm(tmp_path_factory):
    return train_small_vocab(tmp_path_factory.mktemp("vocab"))


def test_pretraining_writes_the_run_dir_and_resumes(spm, tmp_path):
    run_dir = tmp_path / "run"
    config = tiny_pretrain_config(run_dir, spm, train_steps=4)
    config["optimizer"].update(learning_rate=0.01, warmup_steps=3)
    first = run_pretraining(config, fresh=True)
    assert (first.start_step, first.final_step) == (0, 4)
    # Each loop logs the rate the next update uses: lr(step) of the schedule.
    from albert_keras.training.schedule import expected_learning_rate

    rows = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [2, 4]
    for row in rows:
        assert row["learning_rate"] == pytest.approx(expected_learning_rate(row["step"], 0.01, 4, 3), abs=1e-7)
    for name in ("run_config.yaml", "history.jsonl", "metrics.json", "training_curves.png", "model/config.json",
                 "model/model.weights.h5", "model/spiece.model", "model/tokenizer.json"):
        assert os.path.isfile(run_dir / name), name
    assert glob.glob(str(run_dir / "logs" / "events.out.tfevents.*"))
    assert sorted(os.path.basename(p) for p in glob.glob(str(run_dir / "checkpoints" / "ckpt-*.index"))) == [
        "ckpt-2.index", "ckpt-4.index"]
    assert read_step(str(run_dir / "checkpoints" / "ckpt-4")) == 4
    metrics = json.loads((run_dir / "metrics.json").read_text())
    ev = metrics["eval"]
    assert 0.0 <= ev["mlm_accuracy"] <= 1.0 and ev["num_predictions"] > 0
    assert ev["perplexity"] == pytest.approx(np.exp(ev["mlm_loss"]), rel=1e-6)
    assert {"loss", "mlm_accuracy", "sop_accuracy", "learning_rate", "examples_per_second"} <= set(metrics["train"])

    # Same run dir, longer run: resumes at step 4 (no restart from 0) and continues the history.
    second = run_pretraining(tiny_pretrain_config(run_dir, spm, train_steps=8))
    assert (second.start_step, second.final_step) == (4, 8)
    steps = [json.loads(line)["step"] for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6, 8]

    # The final model dir loads as a pretrainer and matches the trained weights' config.
    from albert_keras.model_dir import load_model_dir

    model = load_model_dir(str(run_dir / "model"))
    assert type(model).__name__ == "AlbertPretrainer"
    assert model.backbone.hidden_dim == 64

    # --fresh starts again at 0 and forgets the old checkpoints; a time budget that the first loop already
    # spends stops the 8-step run after that loop, and it checkpoints there (checkpoint_every=0: at the end).
    third = run_pretraining(
        tiny_pretrain_config(run_dir, spm, train_steps=8, checkpoint_every=0, time_budget_seconds=1e-3), fresh=True)
    assert (third.start_step, third.final_step) == (0, 2)
    assert [os.path.basename(p) for p in glob.glob(str(run_dir / "checkpoints" / "ckpt-*.index"))] == [
        "ckpt-2.index"]
    budget = json.loads((run_dir / "metrics.json").read_text())["time_budget"]
    assert budget["stopped"] is True and budget["train_steps"] == 8 and budget["seconds"] == 1e-3


def test_bad_configs_fail_before_training(spm, tmp_path):
    config = tiny_pretrain_config(tmp_path, spm)
    config["data"]["train_files"] = [str(tmp_path / "missing.txt")]
    with pytest.raises(ConfigError, match=r"data\.train_files: no such file"):
        run_pretraining(config)
    config = tiny_pretrain_config(tmp_path, spm, train_steps=5, steps_per_loop=2, checkpoint_every=0)
    with pytest.raises(ConfigError, match=r"train_steps=5 must be a multiple of training\.steps_per_loop=2"):
        run_pretraining(config)
    config = tiny_pretrain_config(tmp_path, spm, time_budget_seconds=-5)
    with pytest.raises(ConfigError, match=r"training\.time_budget_seconds must be >= 0\. Received: -5"):
        run_pretraining(config)
    config = tiny_pretrain_config(tmp_path, spm)
    config["model"]["overrides"]["max_sequence_length"] = 16
    with pytest.raises(ConfigError, match=r"data\.sequence_length=32 exceeds"):
        run_pretraining(config)
    assert not os.path.isdir(tmp_path / "checkpoints")


def test_cli_reports_config_errors(tmp_path, capsys):
    from albert_keras.cli import main

    path = tmp_path / "bad.yaml"
    path.write_text("training:\n  train_stepz: 3\n")
    assert main(["pretrain", "--config", str(path)]) == 2
    assert "training.train_stepz" in capsys.readouterr().err
    path.write_text("task:\n  name: classification\ndata:\n  train_file: nowhere.csv\n")
    assert main(["finetune", "--config", str(path)]) == 2
    assert "data.train_file: no such file" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("precision,jit", [("mixed_bfloat16", True), ("mixed_float16", False)])
def test_mixed_precision_and_xla_train(spm, tmp_path, precision, jit):
    import keras

    models = []
    config = tiny_pretrain_config(tmp_path, spm, train_steps=2, precision=precision, jit_compile=jit)
    result = run_pretraining(config, fresh=True, model_callback=models.append)
    model = models[0]
    assert model.backbone.embeddings_projection.compute_dtype == precision.split("_")[1]
    assert model.jit_compile is jit
    is_scaled = isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert is_scaled == (precision == "mixed_float16")
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    assert np.isfinite(result.metrics["train"]["loss"]) and result.final_step == 2
