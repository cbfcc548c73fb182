"""The hook through which `from_preset` resolves checkpoint handles.

`AlbertBackbone.from_preset` and `AlbertTask.from_preset` (in `models` and
`tasks`) accept handles such as `"albert_base_v2"` or `"hf://albert/albert-base-v2"`,
but downloading and converting a checkpoint is the job of `albert_keras.hub`,
which sits above `convert` in the layers contract (`.importlinter`) and so
cannot be imported by `models` or `tasks`. This module, at the bottom of the
stack, holds the resolver instead:

* `albert_keras.hub` calls `register_resolver(resolve)` when it is imported;
* the package root (`albert_keras/__init__.py`, above every layer) names
  that module with `set_resolver_module("albert_keras.hub")`, so the first
  `resolve(handle)` imports it on demand, as the CLI loads its entry points;
* `resolve(handle)` returns the path of a model directory (the converted,
  cached checkpoint).

`HubError` is the one error type of handles, downloads, the cache and
archive extraction (`albert_keras.hub` raises it; it lives here so that
every layer can catch it).
"""

import importlib
from collections.abc import Callable

_resolver: Callable[..., str] | None = None
_resolver_module: str | None = None


class HubError(ValueError):
    """A handle cannot be resolved: unknown, unreachable, not cached offline,
    corrupt, unsafe or of an unknown layout. The message names the handle,
    the URL or the file.

    Args:
        message: what is wrong, naming the handle, URL or file.
        reason: a short machine-readable kind, or None: "mismatch" (the
            downloaded bytes disagree with the registry's size or sha256),
            "offline" (not in the cache and downloads are off).

    Attributes:
        message, reason: the constructor arguments.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        self.message = message
        self.reason = reason
        super().__init__(message)

    def __reduce__(self):
        # Keeps `reason` across pickling (multiprocessing workers).
        return type(self), (self.message, self.reason)


def register_resolver(resolver: Callable[..., str]) -> None:
    """Installs `resolver(handle, **kwargs) -> model directory path`."""
    global _resolver
    _resolver = resolver


def set_resolver_module(module: str) -> None:
    """Names the module whose import registers the resolver (imported on first use)."""
    global _resolver_module
    _resolver_module = module


def resolve(handle: str, **kwargs) -> str:
    """The local model directory of a handle (downloaded and converted once).

    Args:
        handle: a registry name, `hf://OWNER/REPO[@REV]`, `kaggle://...`,
            `http(s)://...`, `gs://...`, a local directory or archive.
        **kwargs: passed to the resolver (e.g. `force=True`).

    Returns:
        The path of a model directory (`config.json` + `model.weights.h5`).

    Raises:
        HubError: no resolver is registered, or the resolver's own errors.
    """
    if _resolver is None and _resolver_module is not None:
        importlib.import_module(_resolver_module)  # its import calls register_resolver
    if _resolver is None:
        raise HubError(
            f"Cannot resolve the handle {handle!r}: no handle resolver is registered. "
            "Import `albert_keras.hub` (or use `albert_keras.AlbertBackbone`), which registers it."
        )
    return _resolver(handle, **kwargs)
