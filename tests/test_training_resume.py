"""Crash and resume: SIGKILL a CLI pretraining run after a checkpoint, rerun the same command."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.training_fixtures import REPO, tiny_pretrain_config, train_small_vocab


@pytest.mark.slow
def test_killed_run_resumes_from_its_checkpoint(tmp_path):
    import tensorflow as tf

    from albert_keras.training.checkpoints import read_step

    spm = train_small_vocab(tmp_path / "vocab")
    run_dir = tmp_path / "run"
    config = tiny_pretrain_config(run_dir, spm, train_steps=200, steps_per_loop=10, checkpoint_every=10)
    config["data"]["eval_fraction"] = 0.0
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "albert_keras.cli", "pretrain", "--config", str(config_path)]
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")

    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    checkpoint_dir = str(run_dir / "checkpoints")
    deadline = time.time() + 240
    try:
        while tf.train.latest_checkpoint(checkpoint_dir) is None:
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.time() < deadline, "no checkpoint within 240 s"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    killed_at = read_step(tf.train.latest_checkpoint(checkpoint_dir))
    assert 10 <= killed_at < 200 and killed_at % 10 == 0

    resumed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"steps {killed_at} -> 200" in resumed.stdout
    final = tf.train.latest_checkpoint(checkpoint_dir)
    assert final.endswith("ckpt-200") and read_step(final) == 200
    # The final checkpoint restores into a freshly built model: step 200 and
    # the weights of the exported model dir.
    import numpy as np

    from albert_keras.config import PretrainConfig, coerce
    from albert_keras.model_dir import load_model_dir
    from albert_keras.training.checkpoints import RunCheckpoints
    from albert_keras.training.models import build_pretrainer
    from albert_keras.training.optimizer import build_optimizer

    exported = load_model_dir(str(run_dir / "model"))
    parsed = coerce(PretrainConfig, config)
    fresh = build_pretrainer(parsed.model, exported.backbone.vocabulary_size, "float32", 32)
    fresh.compile(optimizer=build_optimizer(parsed.optimizer, 200))
    assert RunCheckpoints(fresh, str(run_dir), 3, tf.distribute.get_strategy()).restore_or_start() == 200
    for restored, saved in zip(fresh.weights, exported.weights, strict=False):
        np.testing.assert_allclose(restored.numpy(), saved.numpy(), err_msg=restored.path)
    steps = [json.loads(line)["step"] for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert steps == list(range(10, 201, 10))  # rows after the lost checkpoint are dropped, none repeated
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert (metrics["start_step"], metrics["step"]) == (killed_at, 200)
    print(f"killed at step {killed_at}, resumed {killed_at} -> 200")
