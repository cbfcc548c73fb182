"""The version manager in-process: policies, labels, config reload, removal."""

import os
import shutil

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


def _live(manager):
    return [(r.version, r.state) for r in manager.status("m")]


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
