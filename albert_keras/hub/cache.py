"""The download cache: `$ALBERT_KERAS_HOME` (default `~/.cache/albert_keras`).

Layout of the cache:
    downloads/<key>/<file>   downloaded files (archives), key = sha256(url)[:16]
    extracted/               archives unpacked for conversion (temporary)
    models/<name>-<key>/     converted model directories, reused
    hf/                      huggingface_hub's cache (`hf://` handles)
    manifest.json            sha256 and size of every cached file, recorded
                             when it is written and checked on every use

Downloads go through `download(url, dest)`: a progress bar on stderr (when it
is a terminal and not `quiet`), retries with exponential backoff, resumption
with an HTTP `Range` request after a dropped connection, and checks of the
size (Content-Length, and the registry's size) and of the registry's sha256.
`ALBERT_KERAS_OFFLINE=1` forbids every download.
"""

import fcntl
import hashlib
import http.client
import json
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from albert_keras.handles import HubError

HOME_ENV = "ALBERT_KERAS_HOME"
OFFLINE_ENV = "ALBERT_KERAS_OFFLINE"
MANIFEST_FILE = "manifest.json"
CHUNK = 1 << 20
RETRIES = 5  # tries per URL before a download fails
BACKOFF_S = 1.0  # first wait between tries; doubled after each failure
TIMEOUT_S = 60.0  # socket timeout of one request
_TRANSIENT = (ConnectionError, http.client.HTTPException, socket.timeout, TimeoutError, urllib.error.URLError)


def home() -> str:
    """The cache root: `$ALBERT_KERAS_HOME`, else `~/.cache/albert_keras`."""
    return os.path.abspath(os.path.expanduser(os.environ.get(HOME_ENV) or "~/.cache/albert_keras"))


def offline() -> bool:
    """True when `ALBERT_KERAS_OFFLINE` is set to 1/true/yes."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def subdir(*parts: str) -> str:
    """A directory under the cache root, created."""
    path = os.path.join(home(), *parts)
    os.makedirs(path, exist_ok=True)
    return path


def sha256_of(path: str) -> str:
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# === Manifest ===


def _manifest_path():
    return os.path.join(home(), MANIFEST_FILE)


def read_manifest() -> dict[str, dict]:
    """The manifest: `{"files": {path: {"sha256", "size", "source"}}, "models": {path: {...}}}`,
    paths relative to the cache root."""
    path = _manifest_path()
    if not os.path.isfile(path):
        return {"files": {}, "models": {}}
    try:
        with open(path) as f:
            manifest = json.load(f)
        manifest.setdefault("files", {})
        manifest.setdefault("models", {})
        return manifest
    except (OSError, json.JSONDecodeError, AttributeError) as e:
        raise HubError(f"The cache manifest {path} is unreadable ({e}); delete it to rebuild the cache.") from e


@contextmanager
def _manifest_locked():
    """Serializes read-modify-write of the manifest across processes (an flock)."""
    os.makedirs(home(), exist_ok=True)
    with open(os.path.join(home(), ".manifest.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_manifest(manifest):
    os.makedirs(home(), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=home(), prefix=".manifest-")
    with os.fdopen(fd, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(tmp, _manifest_path())


def _key(path):
    return os.path.relpath(os.path.abspath(path), home())


def record(path: str, source: str, sha256: str | None = None) -> str:
    """Records a cached file's sha256 and size in the manifest; returns the hash."""
    sha256 = sha256 or sha256_of(path)
    with _manifest_locked():
        manifest = read_manifest()
        manifest["files"][_key(path)] = {"sha256": sha256, "size": os.path.getsize(path), "source": source}
        _write_manifest(manifest)
    return sha256


def recorded(path: str) -> dict | None:
    """The manifest entry of a cached file (`sha256`, `size`, `source`), or None."""
    return read_manifest()["files"].get(_key(path))


def forget(path: str) -> None:
    """Drops the manifest entries of a file, or of a model directory and its files."""
    key = _key(path)
    with _manifest_locked():
        manifest = read_manifest()
        files = manifest["files"]
        manifest["files"] = {k: v for k, v in files.items() if k != key and not k.startswith(key + os.sep)}
        manifest["models"].pop(key, None)
        _write_manifest(manifest)


def verify(path: str) -> str | None:
    """Checks a cached file against its manifest entry.

    Returns:
        None when the file matches its recorded size and sha256; else what
        is wrong ("missing", "not in the manifest", "size 12 != recorded
        34", "sha256 ab.. != recorded cd..").
    """
    if not os.path.isfile(path):
        return "missing"
    entry = recorded(path)
    if entry is None:
        return "not in the manifest"
    size = os.path.getsize(path)
    if size != entry["size"]:
        return f"size {size} != recorded {entry['size']}"
    actual = sha256_of(path)
    if actual != entry["sha256"]:
        return f"sha256 {actual} != recorded {entry['sha256']}"
    return None


def record_model(path: str, info: dict) -> None:
    """Records a converted model directory: every file's hash, plus `info`
    (the handle, its source hash, the layout)."""
    for name in sorted(os.listdir(path)):
        file = os.path.join(path, name)
        if os.path.isfile(file):
            record(file, info.get("handle", ""))
    with _manifest_locked():
        manifest = read_manifest()
        manifest["models"][_key(path)] = dict(info, files=sorted(os.listdir(path)))
        _write_manifest(manifest)


def check_model(path: str) -> tuple[dict | None, str | None]:
    """A cached model directory's manifest info and what is wrong with it.

    Returns:
        `(info, problem)`: `info` is None when the directory was never
        recorded; `problem` is None when every recorded file matches.
    """
    info = read_manifest()["models"].get(_key(path))
    if info is None:
        return None, None
    for name in info["files"]:
        problem = verify(os.path.join(path, name))
        if problem is not None:
            return info, f"{os.path.join(path, name)}: {problem}"
    return info, None


# === Downloads ===


@contextmanager
def _progress(total: int | None, start: int, label: str, quiet: bool) -> Iterator:
    show = not quiet and sys.stderr.isatty()
    if not show:
        yield lambda n: None
        return
    try:
        from tqdm import tqdm  # optional: only for the progress bar, not a dependency of albert_keras
    except ImportError:
        yield lambda n: None
        return
    bar = tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024, desc=label, file=sys.stderr)
    try:
        yield bar.update
    finally:
        bar.close()


def _total_size(response, offset):
    """The full size of the resource from a 200 or 206 response, or None."""
    if response.status == 206:
        content_range = response.headers.get("Content-Range", "")
        if "/" in content_range and content_range.rsplit("/", 1)[1].isdigit():
            return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    if length is None or not length.isdigit():
        return None
    return int(length) + (offset if response.status == 206 else 0)


def _fetch_once(url, part, quiet, label):
    """One request: writes or appends to `part` (resuming with Range); raises on a short body."""
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"User-Agent": "albert-keras"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # the range starts at the end: the file is complete, or it changed
            os.remove(part)
        raise
    with response:
        if response.status != 206:
            offset = 0  # the server ignored Range: start over
        total = _total_size(response, offset)
        with open(part, "ab" if offset else "wb") as f, _progress(total, offset, label, quiet) as advance:
            while True:
                block = response.read(CHUNK)
                if not block:
                    break
                f.write(block)
                advance(len(block))
    got = os.path.getsize(part)
    if total is not None and got != total:
        raise http.client.IncompleteRead(b"", total - got)


def download(
    url: str,
    dest: str,
    sha256: str | None = None,
    size: int | None = None,
    quiet: bool = False,
    retries: int | None = None,
) -> str:
    """Downloads `url` to `dest` (under the cache) and records it in the manifest.

    Writes `dest + ".part"` first (kept between tries, so that a dropped
    connection resumes with `Range: bytes=N-`), checks the size against
    Content-Length and `size`, the sha256 against `sha256`, then renames.

    Args:
        url: an http(s) URL.
        dest: the cached file's path.
        sha256: the expected hex digest (the registry's), or None.
        size: the expected size in bytes, or None.
        quiet: no progress bar.
        retries: tries before giving up (default `RETRIES`).

    Returns:
        The sha256 of the downloaded file.

    Raises:
        HubError: offline mode, an HTTP error (4xx at once, others after
            `retries` tries, naming the URL and the bytes received), a size
            or a sha256 mismatch (printing both hashes).
    """
    if offline():
        raise HubError(f"{OFFLINE_ENV}=1 and {dest} is not in the cache (it would be downloaded from {url}).",
                       reason="offline")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    part = dest + ".part"
    label = os.path.basename(dest)
    retries = retries or RETRIES
    wait, error = BACKOFF_S, None
    for attempt in range(1, retries + 1):
        try:
            _fetch_once(url, part, quiet, label)
            break
        except urllib.error.HTTPError as e:
            if 400 <= e.code < 500 and e.code not in (408, 416, 429):
                raise HubError(f"Download of {url} failed: HTTP {e.code} {e.reason}.") from e
            error = f"HTTP {e.code} {e.reason}"
        except _TRANSIENT as e:
            error = f"{type(e).__name__}: {e}"
        if attempt < retries:
            time.sleep(wait)
            wait *= 2
    else:
        got = os.path.getsize(part) if os.path.exists(part) else 0
        raise HubError(
            f"Download of {url} failed after {retries} tries ({got} bytes received, kept in {part} to resume): "
            f"{error}"
        )
    got = os.path.getsize(part)
    if size is not None and got != size:
        os.remove(part)
        raise HubError(f"Download of {url} has {got} bytes; the registry expects {size}.", reason="mismatch")
    actual = sha256_of(part)
    if sha256 is not None and actual != sha256.lower():
        os.remove(part)
        raise HubError(f"Download of {url} has sha256 {actual}; the registry expects sha256 {sha256.lower()}.",
                       reason="mismatch")
    os.replace(part, dest)
    return record(dest, url, actual)
