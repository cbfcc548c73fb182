"""Every Python block of the README runs as it stands.

The README opens with `AlbertPretrainer.from_preset("albert_base_zh")`. The
tests have no network, so a cache (`$ALBERT_KERAS_HOME`) is prepared first:
a tiny checkpoint in the released `albert_base_zh` tarball layout
(`tests.hub_fixtures.google_tarball`, with `vocab_chinese.txt`) is served on
127.0.0.1 at the registry URL's path, resolved once into the cache through the
real download-and-convert path, and the blocks then run in a subprocess with
that home and `ALBERT_KERAS_OFFLINE=1`, so the handle resolves from the cache
exactly as it would after a real download.
"""

import os
import re
import subprocess
import sys
import urllib.parse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANDLE = "albert_base_zh"


def _python_blocks():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def offline_home(tmp_path_factory):
    """An `$ALBERT_KERAS_HOME` holding `albert_base_zh`, converted from a tiny stand-in of its tarball."""
    pytest.importorskip("transformers")  # the stand-in checkpoint is written from a HF reference model
    from albert_keras import hub
    from albert_keras.hub import cache, registry
    from tests.hub_fixtures import FileServer, google_tarball

    home = tmp_path_factory.mktemp("albert_keras_home")
    _, tarball, _ = google_tarball(tmp_path_factory.mktemp("zh"), name="h15_heads5_relu", zh=True)
    entry = registry.REGISTRY[HANDLE]
    path = urllib.parse.urlparse(entry["urls"][0]).path
    patch = pytest.MonkeyPatch()
    try:
        with FileServer() as server:
            with open(tarball, "rb") as f:
                server.files[path] = f.read()
            patch.setenv(cache.HOME_ENV, str(home))
            patch.delenv(cache.OFFLINE_ENV, raising=False)
            patch.setitem(registry.REGISTRY, HANDLE, dict(entry, urls=[server.url(path)]))
            model_dir = hub.resolve(HANDLE, quiet=True)
            assert len(server.gets(path)) == 1
    finally:
        patch.undo()
    assert os.path.isfile(os.path.join(model_dir, "vocab.txt"))
    return str(home)


def test_readme_has_python_examples():
    blocks = _python_blocks()
    assert len(blocks) >= 2
    # The first Python lines load a released checkpoint by name and fill a Chinese mask.
    assert f'AlbertPretrainer.from_preset("{HANDLE}")' in blocks[0]
    assert 'fill_mask("猫是[MASK]。")' in blocks[0]


def test_readme_python_blocks_run(offline_home):
    env = dict(os.environ, ALBERT_KERAS_HOME=offline_home, ALBERT_KERAS_OFFLINE="1")
    for i, block in enumerate(_python_blocks()):
        result = subprocess.run(
            [sys.executable, "-c", block], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env
        )
        assert result.returncode == 0, f"README python block {i} failed:\n{block}\n{result.stderr[-3000:]}"
        if i == 0:
            # HF's format, from the cached stand-in (no network: offline).
            assert "'token_str'" in result.stdout and "'sequence': '猫是" in result.stdout, result.stdout
