"""Checkpoints by handle: registry names, hf://, http(s), local; the cache; safe extraction.

No network: every remote handle is served by `tests.hub_fixtures.FileServer`
on 127.0.0.1. `$ALBERT_KERAS_HOME` is a fresh directory per test.
"""

import hashlib
import io
import json
import os
import re
import shutil
import sys
import urllib.parse

import numpy as np
import pytest

from albert_keras import AlbertBackbone, AlbertClassifier, AlbertPretrainer, convert, hub
from albert_keras.cli import main
from albert_keras.handles import HubError
from albert_keras.hub import cache, layouts, registry, resolver
from albert_keras.model_dir import load_model_dir, read_config
from albert_keras.presets import PRESETS
from tests.hub_fixtures import (
    ZH_VOCAB,
    FileServer,
    backbone_batch,
    direct_google,
    google_tarball,
    hf_repo_files,
    tar_with,
    top_k_ids,
    tree,
    zip_with,
)
from tests.test_convert_brightmart import _checkpoint as brightmart_checkpoint
from tests.test_convert_brightmart import _vocab as brightmart_vocab
from tests.test_convert_brightmart import brightmart_forward
from tests.test_convert_keras_hub import INPUTS as KH_INPUTS
from tests.test_convert_keras_hub import diffs as keras_hub_diffs
from tests.test_convert_keras_hub import keras_hub_preset
from tests.test_convert_reference import inputs, max_diffs, our_outputs, record, reference_outputs

TOL = 1e-5


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.HOME_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.OFFLINE_ENV, raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(cache, "BACKOFF_S", 0.0)
    return tmp_path / "cache"


@pytest.fixture
def server():
    with FileServer() as s:
        yield s


def _checkpoint(factory, zh):
    directory = factory.mktemp("zh" if zh else "en")
    reference, tarball, unpacked = google_tarball(directory, name="h15_heads5_relu" if zh else "e_ne_h", zh=zh)
    with open(tarball, "rb") as f:
        data = f.read()
    return {"reference": reference, "tarball": tarball, "unpacked": unpacked, "bytes": data,
            "direct": direct_google(unpacked)}


@pytest.fixture(scope="module")
def google_en(tmp_path_factory):
    return _checkpoint(tmp_path_factory, zh=False)


@pytest.fixture(scope="module")
def google_zh(tmp_path_factory):
    return _checkpoint(tmp_path_factory, zh=True)


def _serve(monkeypatch, server, name, data, **changes):
    """Serves `data` at the registry URL's own path and points the entry's URL at the server."""
    entry = registry.REGISTRY[name]
    path = urllib.parse.urlparse(entry["urls"][0]).path
    server.files[path] = data
    monkeypatch.setitem(registry.REGISTRY, name, dict(entry, urls=[server.url(path)], **changes))
    return path


def _assert_parity(model, reference, label):
    batch = inputs()
    diffs = record(label, max_diffs(our_outputs(model, batch), reference_outputs(reference, batch)))
    assert max(diffs.values()) <= TOL, diffs


# === Each layout by handle ===


def test_registry_name_loads_google_tarball_with_parity_and_fill_mask(home, server, google_en, monkeypatch):
    path = _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"])
    pretrainer = AlbertPretrainer.from_preset("albert_base_v2")
    _assert_parity(pretrainer, google_en["reference"], "hub/albert_base_v2 (google tarball)")
    batch = inputs()
    assert np.array_equal(top_k_ids(pretrainer, batch), top_k_ids(google_en["direct"], batch))
    assert len(server.gets(path)) == 1
    # Every later load, of the backbone or of a task, reuses the converted directory: no request.
    count = len(server.requests)
    backbone = AlbertBackbone.from_preset("albert_base_v2")
    classifier = AlbertClassifier.from_preset("albert_base_v2", num_classes=2)
    assert len(server.requests) == count
    expected = np.asarray(google_en["direct"].backbone(backbone_batch(batch))["sequence_output"])
    assert np.max(np.abs(np.asarray(backbone(backbone_batch(batch))["sequence_output"]) - expected)) <= TOL
    for ours, theirs in zip(classifier.backbone.weights, pretrainer.backbone.weights, strict=True):
        assert np.array_equal(np.asarray(ours), np.asarray(theirs))
    model_dir = hub.resolve("albert_base_v2")
    with open(os.path.join(model_dir, "spiece.model"), "rb") as f, \
            open(os.path.join(google_en["unpacked"], "30k-clean.model"), "rb") as g:
        assert f.read() == g.read()
    assert json.load(open(os.path.join(model_dir, "tokenizer.json")))["lowercase"] is True


def test_zh_registry_name_loads_wordpiece_tarball(home, server, google_zh, monkeypatch):
    _serve(monkeypatch, server, "albert_base_zh", google_zh["bytes"])
    classifier = AlbertClassifier.from_preset("albert_base_zh", num_classes=2)
    assert classifier.num_classes == 2
    _assert_parity(classifier.backbone, google_zh["reference"], "hub/albert_base_zh backbone (vocab_chinese.txt)")
    pretrainer = AlbertPretrainer.from_preset("albert_base_zh")
    _assert_parity(pretrainer, google_zh["reference"], "hub/albert_base_zh pretrainer")
    assert np.array_equal(top_k_ids(pretrainer, inputs()), top_k_ids(google_zh["direct"], inputs()))
    model_dir = hub.resolve("albert_base_zh")
    assert open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8").read().split() == ZH_VOCAB
    assert not os.path.exists(os.path.join(model_dir, "spiece.model"))
    assert read_config(model_dir)["config"]["backbone"]["config"]["activation"] == "relu"


def test_brightmart_zip_by_registry_name(home, server, tmp_path, monkeypatch):
    weights, prefix, config = brightmart_checkpoint(tmp_path / "bm")
    unpacked = os.path.dirname(prefix)
    shutil.copyfile(brightmart_vocab(tmp_path), os.path.join(unpacked, "vocab.txt"))
    members = [(f"albert_tiny_zh/{n}", "file", open(os.path.join(unpacked, n), "rb").read())
               for n in sorted(os.listdir(unpacked))]
    zip_with(str(tmp_path / "albert_tiny.zip"), members)
    _serve(monkeypatch, server, "albert_tiny_zh", (tmp_path / "albert_tiny.zip").read_bytes())
    pretrainer = AlbertPretrainer.from_preset("albert_tiny_zh")
    assert pretrainer.backbone.embedding_projection == "token_only"
    batch = inputs()
    diffs = record("hub/albert_tiny_zh (brightmart zip)",
                   max_diffs(our_outputs(pretrainer, batch), brightmart_forward(weights, batch)))
    assert max(diffs.values()) <= TOL, diffs
    direct = convert.from_brightmart(prefix, config)
    assert np.array_equal(top_k_ids(pretrainer, batch), top_k_ids(direct, batch))
    model_dir = hub.resolve("albert_tiny_zh")
    assert json.load(open(os.path.join(model_dir, "tokenizer.json")))["kind"] == "wordpiece"


def test_keras_hub_preset_dir_by_handle(home, tmp_path):
    reference = keras_hub_preset(tmp_path / "preset", "grouped")
    backbone = AlbertBackbone.from_preset(str(tmp_path / "preset"))
    seq, pooled = keras_hub_diffs(reference(KH_INPUTS), backbone(KH_INPUTS))
    assert seq <= TOL and pooled <= TOL, (seq, pooled)
    assert layouts.detect(str(tmp_path / "preset")).name == "keras_hub"
    # Converted once into the cache: the second load reads the cached model dir.
    model_dir = hub.resolve(str(tmp_path / "preset"))
    assert os.path.commonpath([model_dir, str(home)]) == str(home)
    assert read_config(model_dir)["registered_name"] == "albert_keras>AlbertBackbone"


def test_hf_handle_through_the_resolve_endpoints(home, server, tmp_path, monkeypatch):
    reference, files = hf_repo_files(tmp_path / "hf")
    files["pytorch_model.bin"] = b"not a pickle anyone should load"
    server.add_hf_repo("someone/tiny-albert", files)
    monkeypatch.setenv("HF_ENDPOINT", server.base)
    model = AlbertPretrainer.from_preset("hf://someone/tiny-albert")
    _assert_parity(model, reference, "hub/hf://someone/tiny-albert")
    direct = convert.from_hf(str(tmp_path / "hf"))
    assert np.array_equal(top_k_ids(model, inputs()), top_k_ids(direct, inputs()))
    fetched = {r[1].rsplit("/", 1)[-1] for r in server.gets() if "/resolve/" in r[1]}
    assert fetched == {"config.json", "model.safetensors", "spiece.model"}
    assert not [r for r in server.requests if r[1].endswith("pytorch_model.bin")]
    assert os.path.isfile(os.path.join(hub.resolve("hf://someone/tiny-albert"), "spiece.model"))
    # A second load makes no request; the HF files live inside the cache.
    count = len(server.requests)
    AlbertBackbone.from_preset("hf://someone/tiny-albert")
    assert len(server.requests) == count
    assert any(name.startswith("models--someone--tiny-albert") for name in os.listdir(home / "hf"))
    # A revision with slashes (a Hub safetensors-conversion PR) is a handle of its own.
    pr = hub.resolve("hf://someone/tiny-albert@refs/pr/1")
    assert pr != hub.resolve("hf://someone/tiny-albert") and os.path.isfile(os.path.join(pr, "model.weights.h5"))
    assert [r for r in server.requests if r[1].endswith("/revision/refs%2Fpr%2F1")]
    count = len(server.requests)
    # HF_HUB_OFFLINE with a revision never fetched fails and names what is missing.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubError, match=r"hf://someone/tiny-albert@v2.*not in the cache.*config.json"):
        hub.resolve("hf://someone/tiny-albert@v2")
    assert len(server.requests) == count


def test_hf_repo_with_only_pytorch_model_bin_is_refused(home, server, tmp_path, monkeypatch):
    _, files = hf_repo_files(tmp_path / "hf")
    files = {"config.json": files["config.json"], "pytorch_model.bin": b"pickle", "spiece.model": b"x"}
    server.add_hf_repo("someone/pt-only", files)
    monkeypatch.setenv("HF_ENDPOINT", server.base)
    with pytest.raises(HubError) as err:
        AlbertBackbone.from_preset("hf://someone/pt-only")
    message = str(err.value)
    assert "pytorch_model.bin" in message and "never loads" in message
    assert "refs/pr/" in message and "safe_serialization=True" in message
    assert not [r for r in server.gets() if r[1].endswith("pytorch_model.bin")]


def test_local_dir_with_only_pytorch_model_bin_is_refused(home, tmp_path):
    directory = tmp_path / "pt"
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps({"model_type": "albert"}))
    (directory / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(HubError, match="holds only pytorch_model.bin.*safetensors"):
        hub.resolve(str(directory))


def test_http_url_local_archive_and_local_dir_handles(home, server, google_en):
    server.files["/mirror/albert_base.tar.gz"] = google_en["bytes"]
    expected = our_outputs(google_en["direct"], inputs())
    paths = []
    for handle in (server.url("/mirror/albert_base.tar.gz"), google_en["tarball"], google_en["unpacked"]):
        path = hub.resolve(handle)
        assert path.startswith(str(home)), path
        paths.append(path)
        got = our_outputs(load_model_dir(path), inputs())
        assert max(max_diffs(got, expected).values()) <= TOL
    assert len(set(paths)) == 3
    # The local directory is converted once, and again when its files change.
    weights = os.path.join(paths[2], "model.weights.h5")
    stamp = os.stat(weights).st_mtime_ns
    assert hub.resolve(google_en["unpacked"]) == paths[2] and os.stat(weights).st_mtime_ns == stamp
    with open(os.path.join(google_en["unpacked"], "30k-clean.vocab"), "a") as f:
        f.write("x\t0\n")
    hub.resolve(google_en["unpacked"])
    assert os.stat(weights).st_mtime_ns != stamp
    # Our own model directory is used as is.
    assert hub.resolve(paths[0]) == paths[0]


def test_load_weights_false_and_architecture_only_presets_download_nothing(home, server, monkeypatch):
    _serve(monkeypatch, server, "albert_base_v2", b"never fetched")
    backbone = AlbertBackbone.from_preset("albert_base_v2", load_weights=False)
    assert backbone.count_params() == PRESETS["albert_base_v2"]["params"]
    assert AlbertBackbone.from_preset("albert_tiny").count_params() == PRESETS["albert_tiny"]["params"]
    assert AlbertClassifier.from_preset("albert_tiny", num_classes=3).num_classes == 3
    assert server.requests == []
    assert "no released weights" in PRESETS["albert_tiny"]["description"]
    with pytest.raises(HubError, match="architecture without released weights"):
        hub.resolve("albert_tiny")


# === The cache ===


def test_corrupted_cached_files_are_detected_and_fetched_or_converted_again(home, server, google_en, monkeypatch):
    path = _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"])
    model_dir = hub.resolve("albert_base_v2")
    archive = resolver._url_file(registry.REGISTRY["albert_base_v2"]["urls"][0])
    assert cache.recorded(archive)["sha256"] == hashlib.sha256(google_en["bytes"]).hexdigest()
    # A corrupted converted weights file: converted again from the cached archive, no request.
    weights = os.path.join(model_dir, "model.weights.h5")
    with open(weights, "r+b") as f:
        f.seek(os.path.getsize(weights) // 2)
        f.write(b"\x00" * 64)
    assert hub.resolve("albert_base_v2") == model_dir
    assert len(server.gets(path)) == 1
    assert cache.check_model(model_dir)[1] is None
    # A corrupted cached archive (its hash no longer matches the manifest): downloaded again.
    with open(archive, "r+b") as f:
        f.seek(100)
        f.write(b"\xff" * 16)
    cache.forget(model_dir)
    assert hub.resolve("albert_base_v2") == model_dir
    assert len(server.gets(path)) == 2
    assert cache.verify(archive) is None
    assert max(max_diffs(our_outputs(load_model_dir(model_dir), inputs()),
                         our_outputs(google_en["direct"], inputs())).values()) <= TOL


def test_registry_hash_mismatch_fails_and_prints_both_hashes(home, server, google_en, monkeypatch):
    wrong = "ab" * 32
    _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"], sha256=wrong)
    with pytest.raises(HubError) as err:
        hub.resolve("albert_base_v2")
    actual = hashlib.sha256(google_en["bytes"]).hexdigest()
    assert actual in str(err.value) and wrong in str(err.value)
    assert "storage" not in str(err.value) and server.base in str(err.value)
    assert not [p for p in tree(home) if p.endswith((".tar.gz", ".part"))]


def test_registry_size_mismatch_fails(home, server, google_en, monkeypatch):
    _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"], size=len(google_en["bytes"]) + 1)
    with pytest.raises(HubError, match=f"has {len(google_en['bytes'])} bytes; the registry expects"):
        hub.resolve("albert_base_v2")


def test_dropped_connection_resumes_with_range(home, server, google_en, monkeypatch):
    path = _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"])
    server.drop_next = 1
    model_dir = hub.resolve("albert_base_v2", quiet=True)
    first, second = server.gets(path)
    assert "Range" not in first[2]
    assert second[2]["Range"] == f"bytes={len(google_en['bytes']) // 2}-"
    assert cache.recorded(resolver._url_file(registry.REGISTRY["albert_base_v2"]["urls"][0]))["sha256"] == \
        hashlib.sha256(google_en["bytes"]).hexdigest()
    assert os.path.isfile(os.path.join(model_dir, "model.weights.h5"))


def test_connection_that_keeps_dropping_fails_clearly(home, server, google_en, monkeypatch):
    _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"])
    monkeypatch.setattr(cache, "RETRIES", 3)
    server.drop_next = 100
    url = registry.REGISTRY["albert_base_v2"]["urls"][0]
    with pytest.raises(HubError, match=rf"{url} failed after 3 tries \({len(google_en['bytes']) // 2} bytes"):
        hub.resolve("albert_base_v2")
    assert len(server.gets()) == 3


def test_truncated_download_is_refused_by_the_archive_check(home, server, google_en, monkeypatch):
    _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"][: len(google_en["bytes"]) // 2])
    with pytest.raises(HubError, match="truncated or corrupt"):
        hub.resolve("albert_base_v2")
    assert not [p for p in tree(home) if p.endswith(".tar.gz")]


def test_offline_with_a_cold_cache_names_the_missing_file(home, server, google_en, monkeypatch):
    _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"])
    monkeypatch.setenv(cache.OFFLINE_ENV, "1")
    archive = resolver._url_file(registry.REGISTRY["albert_base_v2"]["urls"][0])
    with pytest.raises(HubError) as err:
        AlbertBackbone.from_preset("albert_base_v2")
    assert "'albert_base_v2'" in str(err.value) and archive in str(err.value) and err.value.reason == "offline"
    assert server.requests == []
    monkeypatch.delenv(cache.OFFLINE_ENV)
    model_dir = hub.resolve("albert_base_v2")
    monkeypatch.setenv(cache.OFFLINE_ENV, "1")
    count = len(server.requests)
    assert hub.resolve("albert_base_v2") == model_dir
    # Offline, a converted model that was lost is converted again from the cached archive.
    cache.forget(model_dir)
    assert hub.resolve("albert_base_v2") == model_dir
    assert len(server.requests) == count


def test_force_downloads_and_converts_again(home, server, google_en, monkeypatch):
    path = _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"])
    hub.resolve("albert_base_v2")
    hub.resolve("albert_base_v2", force=True)
    assert len(server.gets(path)) == 2


# === Safety ===


def _outside(tmp_path):
    return [p for p in tree(tmp_path) if not p.startswith("cache")]


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink_out", "hardlink_out", "device", "zip_dotdot",
                                  "zip_symlink"])
def test_unsafe_archives_are_refused_and_nothing_is_written_outside_the_cache(home, tmp_path, kind):
    src = tmp_path / "src"
    src.mkdir()
    ok = ("albert_base/albert_config.json", "file", b"{}")
    absolute = str(tmp_path / "escaped" / "abs.txt")
    members, member = {
        "dotdot": ([ok, ("albert_base/../../escaped.txt", "file", b"x")], "albert_base/../../escaped.txt"),
        "absolute": ([ok, (absolute, "file", b"x")], absolute),
        "symlink_out": ([ok, ("albert_base/link", "symlink", "../../escaped"),
                         ("albert_base/link/x.txt", "file", b"x")], "albert_base/link"),
        "hardlink_out": ([ok, ("albert_base/hard", "hardlink", "../escaped.txt")], "albert_base/hard"),
        "device": ([ok, ("albert_base/null", "chardev", None)], "albert_base/null"),
        "zip_dotdot": ([ok, ("../escaped.txt", "file", b"x")], "../escaped.txt"),
        "zip_symlink": ([ok, ("albert_base/link", "symlink", b"../../escaped")], "albert_base/link"),
    }[kind]
    archive = str(src / ("bad.zip" if kind.startswith("zip") else "bad.tar.gz"))
    (zip_with if kind.startswith("zip") else tar_with)(archive, members)
    before = _outside(tmp_path)
    with pytest.raises(HubError, match="Refusing to extract") as err:
        hub.resolve(archive)
    assert repr(member) in str(err.value)
    assert _outside(tmp_path) == before
    assert not os.path.exists(tmp_path / "escaped.txt") and not os.path.exists(tmp_path / "escaped")
    assert not os.listdir(home / "extracted")


def test_unknown_layout_lists_the_files_and_the_known_layouts(home, tmp_path):
    directory = tmp_path / "mystery"
    directory.mkdir()
    (directory / "weights.npz").write_bytes(b"x")
    (directory / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(HubError) as err:
        hub.resolve(str(directory))
    message = str(err.value)
    assert "config.json, weights.npz" in message
    assert all(layout.name in message for layout in layouts.LAYOUTS)


@pytest.mark.parametrize("name", sorted(registry.REGISTRY))
def test_every_registry_entry_resolves_to_an_archive_whose_layout_is_detected(name, tmp_path):
    entry = registry.REGISTRY[name]
    assert resolver.kind_of(name) == "registry"
    assert entry["format"] in registry.FORMATS
    for url in entry["urls"]:
        assert urllib.parse.urlparse(url).scheme == "https"
        assert resolver._url_file(url).endswith(os.path.basename(urllib.parse.urlparse(url).path))
        assert hub.archives.is_archive(url)
    # An archive unpacked as the layout says is found and detected as the entry's format.
    layout = entry["layout"]
    root = tmp_path / "unpacked" / (layout["root"] or "albert_zh")
    checkpoint = layout["checkpoint"] or "albert_model.ckpt"
    root.mkdir(parents=True)
    if entry["format"] == "brightmart_tf1":
        # Only the variable names tell brightmart's checkpoints from Google's: write a real one.
        _, prefix, config = brightmart_checkpoint(tmp_path / "written")
        for file in os.listdir(os.path.dirname(prefix)):
            os.replace(os.path.join(os.path.dirname(prefix), file), root / file)
        if layout["config"]:
            os.replace(root / os.path.basename(config), root / layout["config"])
        (root / "vocab.txt").write_text("[PAD]")
    else:
        for key in ("config", "spm", "vocab"):
            if layout[key]:
                (root / layout[key]).write_text("{}")
        if not layout["config"]:
            (root / "albert_config_tiny_g.json").write_text("{}")
        for suffix in (".index", ".data-00000-of-00001", ".meta"):
            (root / (checkpoint + suffix)).write_bytes(b"")
    (tmp_path / "unpacked" / "README").write_text("x")
    found = layouts.find_source_dir(str(tmp_path / "unpacked"), layout["root"], name)
    assert found == str(root)
    assert layouts.detect(found).name == entry["format"]
    assert layouts.checkpoint_prefix(found, layout["checkpoint"]) == str(root / checkpoint)


# === CLI ===


def test_cli_download_and_convert_by_handle(home, server, google_en, monkeypatch, tmp_path, capsys):
    _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"])
    assert main(["download", "albert_base_v2", "--quiet"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == hub.resolve("albert_base_v2")
    out = str(tmp_path / "converted")
    assert main(["convert", "albert_base_v2", "--output", out]) == 0
    assert max(max_diffs(our_outputs(load_model_dir(out), inputs()),
                         our_outputs(google_en["direct"], inputs())).values()) <= TOL
    assert main(["download", "albert_base_v2", "--force", "--quiet"]) == 0
    assert len(server.gets()) == 2
    capsys.readouterr()
    assert main(["download", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == sorted(registry.REGISTRY)
    assert main(["download"]) == 2
    assert main(["download", "no_such_model"]) == 1
    assert "Registry names: albert_base_v1" in capsys.readouterr().err
    assert main(["convert", "albert_base_v2", "--from", "hf", "--output", out]) == 2
    assert main(["convert", "albert_base_v2", "--backbone-only", "--output", out]) == 2
    assert "--backbone-only apply to --from/--to" in capsys.readouterr().err


def test_progress_bar_on_a_terminal_only_and_not_when_quiet(home, server, monkeypatch, tmp_path):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    server.files["/files/small.tar"] = b"x" * 5000
    for quiet in (False, True):
        err = Terminal()
        monkeypatch.setattr(sys, "stderr", err)
        cache.download(server.url("/files/small.tar"), str(home / "downloads" / f"{quiet}" / "small.tar"), quiet=quiet)
        shown = err.getvalue()
        assert (("small.tar" in shown and "100%" in shown) if not quiet else shown == ""), shown
    err = io.StringIO()  # not a terminal: no bar
    monkeypatch.setattr(sys, "stderr", err)
    cache.download(server.url("/files/small.tar"), str(home / "downloads" / "pipe" / "small.tar"))
    assert err.getvalue() == ""


@pytest.mark.parametrize("handle, module", [("hf://someone/tiny-albert", "huggingface_hub"),
                                            ("kaggle://keras/albert/keras/albert_base_en_uncased/2", "kagglehub")])
def test_missing_optional_client_gives_a_clear_error(home, monkeypatch, handle, module):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    with pytest.raises(HubError, match=f"needs {module}: install {module}"):
        hub.resolve(handle)


def test_pretraining_from_a_preset_name_starts_from_random_weights_without_download(home, monkeypatch):
    from albert_keras.config import ModelConfig
    from albert_keras.training.models import build_backbone

    monkeypatch.setenv(cache.OFFLINE_ENV, "1")  # any download attempt would raise
    backbone = build_backbone(ModelConfig(init="albert_base_v2"), 100, "float32", 16)
    assert backbone.vocabulary_size == 100 and backbone.hidden_dim == 768
    assert not os.path.exists(home / "models")


def test_registry_format_without_a_converter_is_refused_not_guessed(home, server, google_en, monkeypatch):
    # The files look like Google's; a format the table has no row for must not fall back to Google's mapping.
    _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"], format="future_tf1")
    from albert_keras.hub import layouts

    known = ", ".join(layout.name for layout in layouts.LAYOUTS)
    assert known.startswith("model_dir, serving_export, serving_versions, brightmart_tf1, google_tf1, hf, keras_hub")
    with pytest.raises(HubError, match=r"format 'future_tf1', which no converter handles yet\. Known layouts: "
                                       + re.escape(known)):
        hub.resolve("albert_base_v2")
    assert not os.listdir(home / "models")


def test_mirrors_are_tried_in_order_but_a_hash_mismatch_is_not_hidden(home, server, google_en, monkeypatch):
    path = _serve(monkeypatch, server, "albert_base_v2", google_en["bytes"])
    dead = "/dead/albert_base_v2.tar.gz"  # answers 404
    entry = dict(registry.REGISTRY["albert_base_v2"], urls=[server.url(dead), server.url(path)])
    monkeypatch.setitem(registry.REGISTRY, "albert_base_v2", entry)
    assert os.path.isfile(os.path.join(hub.resolve("albert_base_v2"), "model.weights.h5"))
    assert [r[1] for r in server.gets()] == [dead, path]
    server.files[dead] = b"other bytes"
    monkeypatch.setitem(registry.REGISTRY, "albert_base_v2", dict(entry, sha256=hashlib.sha256(b"x").hexdigest()))
    with pytest.raises(HubError, match="registry expects sha256") as err:
        hub.resolve("albert_base_v2", force=True)
    assert err.value.reason == "mismatch"
    assert [r[1] for r in server.gets()][2:] == [dead]
