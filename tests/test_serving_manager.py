"""The version manager in-process: policies, labels, config reload, removal."""

import os
import shutil
import threading
import time

import grpc
import numpy as np
import pytest

from serving.errors import ServingError
from serving.server.manager import ModelManager
from serving.server.model_config import read_model_config
from serving.server.servable import ServableOptions
from tests.serving_fixtures import copy_version, save_fake_model

CONFIG = """
model_config_list {
  config {
    name: "m"
    base_path: "%(base)s"
    model_platform: "tensorflow"
    model_version_policy { %(policy)s }
    %(labels)s
  }
}
"""


def _write_config(path, base, policy, labels=""):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(CONFIG % {"base": base, "policy": policy, "labels": labels})
    os.replace(tmp, path)
    stat = os.stat(path)  # make sure the mtime differs from the last write
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


def _live(manager, name="m"):
    return [(r.version, r.state) for r in manager.status(name)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("manager")
    return {v: save_fake_model(str(root / f"src{v}"), v) for v in (1, 2)}


def test_policy_labels_reload_and_removal(built, tmp_path):
    base = str(tmp_path / "m")
    for version, src in built.items():
        copy_version(src, os.path.join(base, str(version)))
    config_path = str(tmp_path / "models.config")
    _write_config(config_path, base, "specific { versions: 1 }")
    manager = ModelManager(read_model_config(config_path), ServableOptions(warmup=True),
                           config_path, poll_seconds=0.1)
    try:
        manager.poll_once()
        with pytest.raises(ServingError) as err:  # one scan: nothing is stable yet
            manager.resolve("m")
        assert err.value.code == grpc.StatusCode.NOT_FOUND
        manager.poll_once()
        assert _live(manager) == [(1, 30)]  # AVAILABLE; v2 not wanted
        out = manager.resolve("m").predict("stats", {"text": np.array([b"ab"], dtype=object)})
        assert out["version"].tolist() == [1]

        _write_config(config_path, base, "all {}",
                      'version_labels { key: "stable" value: 1 } '
                      'version_labels { key: "canary" value: 2 }')
        manager.poll_once()
        assert _live(manager) == [(1, 30), (2, 30)]
        assert manager.resolve("m").version == 2
        assert manager.resolve("m", label="stable").version == 1
        assert manager.resolve("m", label="canary").version == 2
        with pytest.raises(ServingError):
            manager.resolve("m", label="nope")

        _write_config(config_path, base, "bogus {}")  # bad config: keep the old one
        manager.poll_once()
        assert _live(manager) == [(1, 30), (2, 30)]

        shutil.rmtree(os.path.join(base, "2"))
        manager.poll_once()
        assert _live(manager) == [(1, 30), (2, 50)]  # v2 unloaded: END
        assert manager.resolve("m").version == 1
    finally:
        manager.stop()
    assert all(r.servable is None for r in manager.status("m"))


MODELS = """
model_config_list {
  config { name: "a" base_path: "%s" model_platform: "tensorflow" }
  config { name: "b" base_path: "%s" model_platform: "tensorflow" }
}
"""


def test_initial_load_runs_models_concurrently_later_loads_serially(built, tmp_path, monkeypatch):
    from serving.server import manager as manager_module

    real = manager_module.Servable
    barrier = threading.Barrier(2)  # broken unless both loads are in flight at once
    wait_s = [20.0]
    seen = []

    def loading(name, version, path, options):
        seen.append((name, threading.current_thread().name))
        barrier.wait(wait_s[0])
        return real(name, version, path, options)

    monkeypatch.setattr(manager_module, "Servable", loading)
    bases = [str(tmp_path / n) for n in "ab"]
    for base in bases:
        copy_version(built[1], os.path.join(base, "1"))
    config_path = str(tmp_path / "models.config")
    with open(config_path, "w") as f:
        f.write(MODELS % tuple(bases))
    manager = ModelManager(read_model_config(config_path), ServableOptions(warmup=False), config_path,
                           poll_seconds=0.05)
    try:
        manager.start()
        assert _live(manager, "a") == [(1, 30)]
        assert _live(manager, "b") == [(1, 30)]
        assert sorted(n for n, _ in seen) == ["a", "b"]
        assert all(t.startswith("initial-load") for _, t in seen)

        # After start, a new version of each loads in the poller thread, one at a time:
        # the barrier breaks (nobody else arrives) and both versions fail to load.
        barrier.reset()
        wait_s[0] = 0.5
        for base in bases:
            copy_version(built[2], os.path.join(base, "2"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
            any(r.version == 2 and r.state == 50 for r in manager.status(n)) for n in "ab"
        ):
            time.sleep(0.05)
        for n in "ab":
            (record,) = [r for r in manager.status(n) if r.version == 2]
            assert record.state == 50 and "BrokenBarrierError" in record.error
            assert manager.resolve(n).version == 1
    finally:
        manager.stop()
