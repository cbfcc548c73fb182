"""Released checkpoints by handle: download, cache, verify, extract safely, convert once.

Public API:
    resolve(handle, force=False, quiet=False) -> str: the converted model
        directory of a handle (see `albert_keras.hub.resolver`).
    REGISTRY: the released checkpoints (plain data, `albert_keras.hub.registry`).
    LAYOUTS: the table of known checkpoint layouts (`albert_keras.hub.layouts`).
    HubError: the one error type of handles, downloads, the cache and archives.

Importing this package registers `resolve` with `albert_keras.handles`, the
hook through which `AlbertBackbone.from_preset` and `AlbertTask.from_preset`
resolve handles (they sit below this package in the layers contract).
"""

from albert_keras import handles
from albert_keras.handles import HubError
from albert_keras.hub.layouts import LAYOUTS
from albert_keras.hub.registry import REGISTRY
from albert_keras.hub.resolver import resolve

handles.register_resolver(resolve)

__all__ = ["HubError", "LAYOUTS", "REGISTRY", "resolve"]
