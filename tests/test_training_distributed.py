"""tf.distribute: MirroredStrategy over 2 logical CPUs, and 2 MultiWorkerMirrored workers."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from tests.training_fixtures import REPO, run_python, tiny_pretrain_config, train_small_vocab


@pytest.fixture(scope="module")
def spm(tmp_path_factory):
    return train_small_vocab(tmp_path_factory.mktemp("vocab"))


_MIRRORED = r"""
import json, os, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
from albert_keras.config import ConfigError
from albert_keras.training.pretrain import run_pretraining

configs = json.loads(os.environ["CONFIGS"])
out = {}
for name, config in configs.items():
    models, initial = [], []
    def keep(model):
        models.append(model)
        initial.extend(v.numpy().copy() for v in model.weights)
    result = run_pretraining(config, fresh=True, model_callback=keep)
    update = np.concatenate([(v.numpy() - w).ravel() for v, w in zip(models[0].weights, initial)])
    np.save(os.path.join(config["training"]["run_dir"], "update.npy"), update)
    out[name] = {
        "replicas": models[0].distribute_strategy.num_replicas_in_sync,
        "losses": [row["loss"] for row in
                   map(json.loads, open(os.path.join(config["training"]["run_dir"], "history.jsonl")))],
    }
bad = dict(configs["mirrored"])
bad["training"] = dict(bad["training"], global_batch_size=7)
try:
    run_pretraining(bad, fresh=True)
    out["bad_batch"] = "no error"
except ConfigError as e:
    out["bad_batch"] = str(e)
print("RESULT " + json.dumps(out))
"""


@pytest.mark.slow
def test_mirrored_two_cpus_matches_one_device(spm, tmp_path):
    configs = {}
    for name in ("default", "mirrored"):
        config = tiny_pretrain_config(tmp_path / name, spm, train_steps=4, steps_per_loop=1, checkpoint_every=0)
        config["distribution"]["strategy"] = name
        config["data"]["eval_fraction"] = 0.0
        configs[name] = config
    proc = run_python(_MIRRORED, env={"CONFIGS": json.dumps(configs)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.split("RESULT ", 1)[1])
    one, two = out["default"], out["mirrored"]
    assert (one["replicas"], two["replicas"]) == (1, 2)
    assert len(one["losses"]) == len(two["losses"]) == 4
    # Same global batch: the losses agree. Not bit-exact: each replica
    # normalizes the MLM loss by its own count of masked tokens (as the
    # original does per TPU core).
    for a, b in zip(one["losses"], two["losses"], strict=False):
        assert b == pytest.approx(a, rel=1e-2), (one["losses"], two["losses"])
    # And the weight updates of the 4 steps agree (Keras 3.12 used to skip
    # the first batch of a distributed fit; see loop._fit_scope).
    update_one = np.load(tmp_path / "default" / "update.npy")
    update_two = np.load(tmp_path / "mirrored" / "update.npy")
    cosine = update_one @ update_two / (np.linalg.norm(update_one) * np.linalg.norm(update_two))
    assert cosine > 0.95, cosine
    assert np.linalg.norm(update_two) == pytest.approx(np.linalg.norm(update_one), rel=0.1)
    assert "global_batch_size=7 is not divisible by the 2 replicas" in out["bad_batch"]


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


_WORKER = r"""
import json, os
import numpy as np
from albert_keras.training.pretrain import run_pretraining

config = json.loads(os.environ["CONFIG"])
models = []
result = run_pretraining(config, fresh=True, model_callback=models.append)
print("RESULT " + json.dumps({
    "chief": result.chief,
    "final_step": result.final_step,
    "weights": [float(np.sum(v.numpy())) for v in models[0].weights],
}))
"""


@pytest.mark.slow
def test_multi_worker_two_processes_agree_and_only_chief_exports(spm, tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    config = tiny_pretrain_config(tmp_path / "run", spm, train_steps=4, steps_per_loop=2, checkpoint_every=2)
    config["distribution"]["strategy"] = "multi_worker"
    config["data"]["eval_fraction"] = 0.0
    procs = []
    for index in range(2):
        env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="",
                   CONFIG=json.dumps(config),
                   TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen([sys.executable, "-c", _WORKER], cwd=REPO, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    for proc in procs:
        try:
            stdout, stderr = proc.communicate(timeout=540)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, stderr[-3000:]
        outputs.append(json.loads(stdout.split("RESULT ", 1)[1]))
    chief, worker = outputs
    assert chief["chief"] is True and worker["chief"] is False
    assert chief["final_step"] == worker["final_step"] == 4
    for a, b in zip(chief["weights"], worker["weights"], strict=False):
        assert b == pytest.approx(a, rel=1e-5, abs=1e-6)
    run_dir = tmp_path / "run"
    assert os.path.isfile(run_dir / "model" / "model.weights.h5")
    assert sorted(os.listdir(run_dir / "checkpoints")) == sorted(
        ["checkpoint", "ckpt-2.index", "ckpt-2.data-00000-of-00001", "ckpt-4.index", "ckpt-4.data-00000-of-00001"])
