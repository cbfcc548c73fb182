"""Handles → cached, converted model directories.

A handle is one of:
    albert_base_v2            a name in `registry.REGISTRY`
    hf://OWNER/REPO[@REV]     a Hugging Face Hub repo (huggingface_hub)
    kaggle://OWNER/MODEL/...  a Kaggle Models handle (kagglehub)
    https://.../x.tar.gz      an archive (.tar.gz, .tgz, .tar, .zip) by URL
    gs://bucket/x.tar.gz      an archive on GCS (tf.io.gfile)
    /path/dir, /path/x.tgz    a local directory or archive

`resolve(handle)` fetches the source into the cache (once), detects its
layout (`layouts.LAYOUTS`), converts it to our model directory under
`models/` (once) and returns that directory. A converted handle is reused
without any request until `force=True`; its files are checked against the
manifest on every use, and a corrupt one is converted again (and the
archive downloaded again when it too fails its recorded hash). A local
directory or archive is converted again when its contents change.
"""

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import sys
import tempfile

import tensorflow as tf

from albert_keras.handles import HubError
from albert_keras.hub import archives, cache, layouts
from albert_keras.hub.registry import REGISTRY
from albert_keras.presets import PRESETS

# Files an hf:// handle fetches: never pytorch_model.bin (pickle) or other frameworks' weights.
HF_PATTERNS = [
    "config.json", "model.safetensors", "model.safetensors.index.json", "model-*-of-*.safetensors", "spiece.model",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
]
_TRUE = ("1", "true", "yes", "on")


def kind_of(handle: str) -> str:
    """The handle's kind: "registry", "hf", "kaggle", "http", "gs", "dir" or "archive".

    Raises:
        HubError: an unknown name or scheme, or a local path that does not exist.
    """
    if handle in REGISTRY:
        return "registry"
    for prefix, kind in (("hf://", "hf"), ("kaggle://", "kaggle"), ("http://", "http"), ("https://", "http"),
                         ("gs://", "gs")):
        if handle.startswith(prefix):
            if kind in ("http", "gs") and not archives.is_archive(handle.split("?", 1)[0]):
                raise HubError(f"An {prefix} handle must name an archive ({', '.join(archives.ARCHIVE_SUFFIXES)}). "
                               f"Received: {handle!r}")
            return kind
    if os.path.isdir(handle):
        return "dir"
    if os.path.isfile(handle) and archives.is_archive(handle):
        return "archive"
    if os.path.isfile(handle):
        raise HubError(f"`handle` must be a directory or an archive ({', '.join(archives.ARCHIVE_SUFFIXES)}). "
                       f"Received: the file {handle!r}")
    hint = ""
    if handle in PRESETS:
        hint = (f" {handle!r} is an architecture without released weights: "
                f"use `from_preset({handle!r}, load_weights=False)`.")
    raise HubError(
        f"`handle` must be a registry name, hf://OWNER/REPO[@REV], kaggle://..., http(s)://..., gs://..., or a "
        f"local directory or archive. Received: {handle!r}.{hint} Registry names: {', '.join(sorted(REGISTRY))}"
    )


def _slug(handle, kind):
    if kind == "registry":
        return handle
    name = os.path.abspath(handle) if kind in ("dir", "archive") else handle
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", name.split("://", 1)[-1]).strip("-.")[-48:]
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"


def _fingerprint(directory):
    """A hash of a local directory's file names, sizes and modification times."""
    digest = hashlib.sha256()
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            st = os.stat(path)
            digest.update(f"{os.path.relpath(path, directory)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _is_offline_hf():
    return cache.offline() or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


# === Fetching sources ===


def _url_file(url):
    name = os.path.basename(url.split("?", 1)[0].rstrip("/")) or "download"
    return os.path.join(cache.subdir("downloads"), hashlib.sha256(url.encode()).hexdigest()[:16], name)


def _cached_archive(urls, sha256, size, force, quiet, handle):
    """The verified cached archive of `urls` (downloaded when missing or corrupt)."""
    dests = [_url_file(u) for u in urls]
    if not force:
        for dest in dests:
            if cache.verify(dest) is None and (sha256 is None or cache.recorded(dest)["sha256"] == sha256):
                return dest
    problems = [f"{d}: {cache.verify(d)}" for d in dests if os.path.exists(d)]
    if cache.offline():
        raise HubError(
            f"{cache.OFFLINE_ENV}=1 and the handle {handle!r} is not in the cache: missing {dests[0]} "
            f"(from {urls[0]})" + (f"; cached copies fail their check: {'; '.join(problems)}" if problems else ""),
            reason="offline",
        )
    errors = []
    for url, dest in zip(urls, dests, strict=True):
        try:
            cache.download(url, dest, sha256=sha256, size=size, quiet=quiet)
        except HubError as e:
            if e.reason == "mismatch":
                raise  # the bytes are wrong, not the connection: another mirror must not hide it
            errors.append(str(e))
            continue
        try:
            archives.check_integrity(dest)
        except HubError:
            cache.forget(dest)
            os.remove(dest)
            raise
        return dest
    raise HubError(f"Cannot download {handle!r} from any of its {len(urls)} URL(s): " + " | ".join(errors))


def _gcs_archive(url, force, handle):
    dest = _url_file(url)
    if not force and cache.verify(dest) is None:
        return dest
    if cache.offline():
        raise HubError(f"{cache.OFFLINE_ENV}=1 and the handle {handle!r} is not in the cache: missing {dest}.",
                       reason="offline")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        tf.io.gfile.copy(url, dest + ".part", overwrite=True)
    except tf.errors.OpError as e:
        raise HubError(f"Cannot copy {url}: {type(e).__name__}: {e.message}") from e
    os.replace(dest + ".part", dest)
    try:
        archives.check_integrity(dest)
    except HubError:
        os.remove(dest)
        raise
    cache.record(dest, url)
    return dest


@contextlib.contextmanager
def _hf_progress(huggingface_hub, quiet):
    """huggingface_hub's bars follow ours: shown on a terminal unless `quiet`."""
    utils = huggingface_hub.utils
    hide = (quiet or not sys.stderr.isatty()) and not utils.are_progress_bars_disabled()
    if hide:
        utils.disable_progress_bars()
    try:
        yield
    finally:
        if hide:
            utils.enable_progress_bars()


def _hf_snapshot(handle, force, quiet):
    """`(directory, commit)` of an hf:// handle, downloaded through huggingface_hub into the cache."""
    spec = handle[len("hf://"):]
    repo_id, _, revision = spec.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise HubError(f"An hf:// handle must be hf://OWNER/REPO[@REVISION]. Received: {handle!r}")
    try:
        import huggingface_hub  # optional dependency: only hf:// handles need it
    except ImportError as e:
        raise HubError(f"The handle {handle!r} needs huggingface_hub: install huggingface_hub "
                       "(pip install huggingface_hub).") from e
    endpoint = os.environ.get("HF_ENDPOINT") or None  # read now: huggingface_hub reads it once, at import
    local_only = _is_offline_hf()
    try:
        with _hf_progress(huggingface_hub, quiet):
            path = huggingface_hub.snapshot_download(
                repo_id, revision=revision or None, cache_dir=cache.subdir("hf"), allow_patterns=HF_PATTERNS,
                local_files_only=local_only, force_download=force and not local_only, endpoint=endpoint,
            )
    except huggingface_hub.utils.LocalEntryNotFoundError as e:
        raise HubError(
            f"Offline ({cache.OFFLINE_ENV} or HF_HUB_OFFLINE) and {handle!r} is not in the cache "
            f"{cache.subdir('hf')}: missing its config.json and model.safetensors.",
            reason="offline",
        ) from e
    except (huggingface_hub.utils.HfHubHTTPError, OSError, ValueError) as e:
        raise HubError(f"Cannot download {handle!r} from {endpoint or 'the Hugging Face Hub'}: "
                       f"{type(e).__name__}: {e}") from e
    has_safetensors = any(os.path.isfile(os.path.join(path, n)) for n in layouts.HF_WEIGHTS)
    if not has_safetensors and not local_only:
        try:
            info = huggingface_hub.HfApi(endpoint=endpoint).model_info(repo_id, revision=revision or None)
            remote = {s.rfilename for s in info.siblings or ()}
        except (huggingface_hub.utils.HfHubHTTPError, OSError) as e:
            raise HubError(f"{handle!r} has no model.safetensors ({type(e).__name__}: {e})") from e
        pickled = [name for name in layouts.PICKLE_WEIGHTS if name in remote]
        if pickled:
            raise layouts.pickle_error(handle, pickled)
    return path, os.path.basename(path)


def _kaggle_dir(handle, force, slug):
    try:
        import kagglehub  # optional dependency: only kaggle:// handles need it
    except ImportError as e:
        raise HubError(f"The handle {handle!r} needs kagglehub: install kagglehub (pip install kagglehub).") from e
    if cache.offline():
        raise HubError(f"{cache.OFFLINE_ENV}=1 and the handle {handle!r} is not converted in the cache "
                       f"(missing {os.path.join(cache.home(), 'models', slug)}).", reason="offline")
    output = os.path.join(cache.subdir("kaggle"), slug)
    try:
        path = kagglehub.model_download(handle[len("kaggle://"):], force_download=force, output_dir=output)
    except Exception as e:  # kagglehub raises its own and requests' error types
        raise HubError(f"Cannot download {handle!r} with kagglehub: {type(e).__name__}: {e}") from e
    return path, _fingerprint(path)


# === Converting ===


def _convert(source_dir, model_path, handle, source_hash, options):
    layout = layouts.detect(source_dir, handle, prefer=options.get("format"))
    if layout.convert is None:  # already our model directory
        return source_dir
    parent = os.path.dirname(model_path)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".convert-")
    try:
        output = os.path.join(tmp, "model")
        layout.convert(source_dir, output, options)
        if os.path.exists(model_path):
            cache.forget(model_path)
            shutil.rmtree(model_path)
        os.rename(output, model_path)
    except ValueError as e:
        raise HubError(f"Cannot convert {handle!r} ({layout.name} layout in {source_dir}): {e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    cache.record_model(model_path, {"handle": handle, "source_sha256": source_hash, "layout": layout.name})
    return model_path


def _from_archive(archive, model_path, handle, options, source_hash=None):
    source_hash = source_hash or cache.recorded(archive)["sha256"]
    extracted = os.path.join(cache.subdir("extracted"), os.path.basename(model_path))
    archives.extract(archive, extracted)
    try:
        hint = (options.get("layout") or {}).get("root")
        source_dir = layouts.find_source_dir(extracted, hint, handle)
        return _convert(source_dir, model_path, handle, source_hash, options)
    finally:
        shutil.rmtree(extracted, ignore_errors=True)


def resolve(handle: str, force: bool = False, quiet: bool = False) -> str:
    """The converted model directory of a handle, fetched and converted once.

    Args:
        handle: see the module docstring.
        force: download and convert again even when cached.
        quiet: no progress bar.

    Returns:
        The path of a model directory (under `$ALBERT_KERAS_HOME/models`,
        or the handle itself when it is already a model directory).

    Raises:
        HubError: an unknown handle, a failed or corrupt download, offline
            mode with a cold cache (naming the missing file), an unsafe
            archive, pickle-only weights or an unknown layout.
    """
    handle = os.fspath(handle)
    kind = kind_of(handle)
    if kind == "dir" and layouts.detect(handle).convert is None:
        return os.path.abspath(handle)
    slug = _slug(handle, kind)
    with _locked(slug):
        return _resolve(handle, kind, os.path.join(cache.subdir("models"), slug), force, quiet)


@contextlib.contextmanager
def _locked(slug):
    """One process at a time fetches and converts a handle (an flock on `locks/<slug>.lock`)."""
    with open(os.path.join(cache.subdir("locks"), slug + ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _resolve(handle, kind, model_path, force, quiet):
    local_hash = None
    if kind == "dir":
        local_hash = _fingerprint(handle)
    elif kind == "archive":
        local_hash = cache.sha256_of(handle)
    entry = REGISTRY.get(handle, {})
    if not force:
        info, problem = cache.check_model(model_path)
        expected = local_hash or entry.get("sha256")
        if info is not None and problem is None and expected in (None, info["source_sha256"]):
            return model_path
        if problem is not None:
            cache.forget(model_path)
            shutil.rmtree(model_path, ignore_errors=True)
    options = {"layout": entry.get("layout"), "uncased": entry.get("uncased", True), "format": entry.get("format")}
    if kind == "dir":
        return _convert(os.path.abspath(handle), model_path, handle, local_hash, options)
    if kind == "archive":
        return _from_archive(os.path.abspath(handle), model_path, handle, options, local_hash)
    if kind == "hf":
        source_dir, commit = _hf_snapshot(handle, force, quiet)
        return _convert(source_dir, model_path, handle, commit, options)
    if kind == "kaggle":
        source_dir, fingerprint = _kaggle_dir(handle, force, os.path.basename(model_path))
        return _convert(source_dir, model_path, handle, fingerprint, options)
    if kind == "gs":
        archive = _gcs_archive(handle, force, handle)
    else:
        urls = entry.get("urls") or [handle]
        archive = _cached_archive(urls, entry.get("sha256"), entry.get("size"), force, quiet, handle)
    return _from_archive(archive, model_path, handle, options)
