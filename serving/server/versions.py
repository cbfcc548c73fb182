"""Finds the complete version directories under a model's base path.

The rule for picking up a version (the TFX Pusher copies `saved_model.pb`
last):

1. its directory name under the base path is a non-negative integer;
2. `saved_model.pb` exists in it and is not empty;
3. if a `variables/` directory exists, `variables/variables.index` exists;
4. the size and modification time of `saved_model.pb` are the same in two
   consecutive scans (so a file still being written is not read).

A version that fails to load is not retried until its `saved_model.pb`
changes.
"""

import logging
import os

log = logging.getLogger(__name__)


def _stamp(version_dir):
    pb = os.path.join(version_dir, "saved_model.pb")
    try:
        stat = os.stat(pb)
    except FileNotFoundError:
        return None
    if stat.st_size == 0:
        return None
    variables = os.path.join(version_dir, "variables")
    if os.path.isdir(variables) and not os.path.exists(
        os.path.join(variables, "variables.index")
    ):
        return None
    return (stat.st_size, stat.st_mtime_ns)


def list_version_dirs(base_path: str) -> dict[int, str]:
    """Returns {version: directory} for integer-named subdirectories of `base_path`."""
    try:
        names = os.listdir(base_path)
    except FileNotFoundError:
        return {}
    found = {}
    for name in names:
        path = os.path.join(base_path, name)
        if name.isdigit() and os.path.isdir(path):
            found[int(name)] = path
    return found


class VersionScanner:
    """Scans a base path repeatedly and reports the versions that are complete.

    Args:
        base_path: the model's base directory (holds `1/`, `2/`, ...).
    """

    def __init__(self, base_path: str) -> None:
        self.base_path = base_path
        self._last = {}

    def scan(self) -> tuple[dict[int, tuple[str, tuple[int, int]]], set[int]]:
        """Scans once.

        Returns:
            (ready, present): `ready` maps each complete version (rule above)
            to (directory, stamp); `present` is the set of versions whose
            saved_model.pb exists now.
        """
        stamps = {}
        ready = {}
        for version, path in list_version_dirs(self.base_path).items():
            stamp = _stamp(path)
            if stamp is None:
                continue
            stamps[version] = stamp
            if self._last.get(version) == stamp:
                ready[version] = (path, stamp)
        self._last = stamps
        return ready, set(stamps)
