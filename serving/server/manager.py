"""Loads, serves and unloads model versions as they appear under base paths.

A poller thread rescans every model's base path (see `serving.server.versions` for
when a version counts as complete), applies the model's version policy,
loads and warms up new versions, and only then unloads the versions the
policy no longer wants. Requests hold a reference to the version they
resolved, so a swap never fails a request in flight.
"""

import logging
import os
import threading
import time
from concurrent import futures

from tensorflow_serving.apis import get_model_status_pb2
from tensorflow_serving.config import model_server_config_pb2

from serving.errors import invalid, not_found
from serving.server.model_config import read_model_config
from serving.server.policy import select_versions
from serving.server.servable import Servable, ServableOptions
from serving.server.versions import VersionScanner
from serving.server.warmup import replay_warmup

log = logging.getLogger(__name__)

State = get_model_status_pb2.ModelVersionStatus.State


class VersionRecord:
    """What the server knows about one version (for GetModelStatus).

    Attributes:
        version: integer version.
        state: a `ModelVersionStatus.State` value.
        error: error message, "" when fine.
        servable: the `Servable` while AVAILABLE, else None.
        stamp: (size, mtime) of the saved_model.pb that was loaded or failed.
    """

    def __init__(self, version: int, stamp: tuple[int, int] | None) -> None:
        self.version = version
        self.state = State.START
        self.error = ""
        self.servable = None
        self.stamp = stamp


class _Model:
    def __init__(self, config: model_server_config_pb2.ModelConfig) -> None:
        self.config = config
        self.scanner = VersionScanner(config.base_path)
        self.records = {}


class ModelManager:
    """Keeps every configured model's wanted versions loaded.

    Args:
        config: `ModelServerConfig` with a model_config_list.
        options: `ServableOptions` for every version.
        config_path: the models.config file to re-read when it changes, or None.
        poll_seconds: seconds between scans of the base paths.
    """

    def __init__(
        self,
        config: model_server_config_pb2.ModelServerConfig,
        options: ServableOptions,
        config_path: str | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self._options = options
        self._config_path = config_path
        self._config_mtime = _mtime(config_path)
        self._poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._models = {}
        self._stop = threading.Event()
        self._thread = None
        self._apply_config(config)

    def start(self) -> None:
        """Loads what is on disk now (two scans, a short settle apart), then polls.

        The initial scans load every model at once, one thread per model, as TF
        Serving loads its initial models on `num_initial_load_threads`
        (`server_core.h`: 4 x the CPUs); later scans load one version at a
        time (its `num_load_threads` = 0: serially in the manager thread).
        """
        self.poll_once(parallel=True)
        time.sleep(min(self._poll_seconds, 0.5))
        self.poll_once(parallel=True)
        self._thread = threading.Thread(target=self._loop, name="version-poller", daemon=True)
        self._thread.start()

    def wait_for_models(self, timeout: float) -> bool:
        """Waits until every model has a version AVAILABLE; returns whether they do."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                missing = [
                    name for name, model in self._models.items()
                    if not any(r.servable is not None for r in model.records.values())
                ]
            if not missing:
                return True
            if time.monotonic() >= deadline:
                log.warning("still no version available for %s after %.0fs", missing, timeout)
                return False
            time.sleep(0.1)

    def stop(self) -> None:
        """Stops polling and unloads every version."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self._lock:
            models = list(self._models.values())
        for model in models:
            for record in model.records.values():
                self._unload(model, record)

    def poll_once(self, parallel: bool = False) -> None:
        """Re-reads the config if it changed, then syncs every model once.

        Args:
            parallel: sync the models on concurrent threads (the initial load)
                instead of one after another.
        """
        self._maybe_reload_config()
        with self._lock:
            models = list(self._models.values())
        if parallel and len(models) > 1:
            workers = min(len(models), 4 * (os.cpu_count() or 1))
            with futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="initial-load") as pool:
                list(pool.map(self._sync_logged, models))
            return
        for model in models:
            self._sync_logged(model)

    def _sync_logged(self, model):
        try:
            self._sync(model)
        except Exception:  # keep serving what is loaded; try again next poll
            log.exception("model %s: version sync failed", model.config.name)

    def model_names(self) -> list[str]:
        """Returns the configured model names."""
        with self._lock:
            return sorted(self._models)

    def resolve(self, name: str, version: int | None = None, label: str | None = None) -> Servable:
        """Returns the `Servable` for a request's model spec, as TF Serving's ServerCore does.

        Args:
            name: model name.
            version: integer version, or None (the latest).
            label: version label from models.config, or "" / None.

        Raises:
            ServingError: INVALID_ARGUMENT for an unknown label (`server_core.cc`
                `GetModelVersionForLabel`); NOT_FOUND "Servable not found for
                request" if the model or version is not served (`basic_manager.cc`
                `GetUntypedServableHandle`).
        """
        with self._lock:
            model = self._models.get(name)
            if label:
                version = self._label_version(model, name, label)
            live = {}
            if model is not None:
                live = {v: r.servable for v, r in model.records.items() if r.servable is not None}
        request = f"Latest({name})" if version is None else f"Specific({name}, {version})"
        if version is None and live:
            return live[max(live)]
        if version in live:
            return live[version]
        raise not_found(f"Servable not found for request: {request}")

    def status(self, name: str, version: int | None = None, label: str | None = None) -> list[VersionRecord]:
        """Returns the `VersionRecord`s of a model (one if a version or label is given).

        Raises:
            ServingError: NOT_FOUND for an unknown model or version
                (`get_model_status_impl.cc`), INVALID_ARGUMENT for an unknown label.
        """
        with self._lock:
            model = self._models.get(name)
            if label:
                version = self._label_version(model, name, label)
            records = [] if model is None else sorted(model.records.values(), key=lambda r: r.version)
        if version is not None:
            records = [r for r in records if r.version == version]
            if not records:
                raise not_found(f"Could not find version {version} of model {name}")
        if not records:
            raise not_found(f"Could not find any versions of model {name}")
        return records

    @staticmethod
    def _label_version(model, name, label):
        labels = model.config.version_labels if model is not None else {}
        if label not in labels:
            raise invalid(f"Unrecognized servable version label: {label}")
        return labels[label]

    def _loop(self):
        while not self._stop.wait(self._poll_seconds):
            self.poll_once()

    def _maybe_reload_config(self):
        mtime = _mtime(self._config_path)
        if mtime is None or mtime == self._config_mtime:
            return
        self._config_mtime = mtime
        try:
            config = read_model_config(self._config_path)
        except (OSError, ValueError):
            log.exception("keeping the old config: %s did not load", self._config_path)
            return
        log.info("re-read %s", self._config_path)
        self._apply_config(config)

    def _apply_config(self, config):
        wanted = {m.name: m for m in config.model_config_list.config}
        dropped = []
        with self._lock:
            for name, model_config in wanted.items():
                model = self._models.get(name)
                if model is None or model.config.base_path != model_config.base_path:
                    if model is not None:
                        dropped.append(model)
                    self._models[name] = _Model(model_config)
                else:
                    model.config = model_config
            for name in list(self._models):
                if name not in wanted:
                    dropped.append(self._models.pop(name))
        for model in dropped:
            for record in model.records.values():
                self._unload(model, record)

    def _sync(self, model):
        ready, present = model.scanner.scan()
        while True:
            live = {v for v, r in model.records.items() if r.servable is not None}
            failed = {
                v for v, r in model.records.items()
                if r.state == State.END and r.error and v in ready and ready[v][1] == r.stamp
            }
            candidates = (set(ready) | (live & present)) - failed
            wanted = select_versions(model.config.model_version_policy, candidates)
            to_load = sorted(wanted - live, reverse=True)
            if not to_load:
                break
            for version in to_load:
                self._load(model, version, *ready[version])
        for version, record in list(model.records.items()):
            if version not in wanted and record.servable is not None:
                self._unload(model, record)

    def _load(self, model, version, path, stamp):
        name = model.config.name
        record = VersionRecord(version, stamp)
        record.state = State.LOADING
        with self._lock:
            model.records[version] = record
        log.info("model %s: loading version %d from %s", name, version, path)
        started = time.monotonic()
        servable = None
        try:
            servable = Servable(name, version, path, self._options)
            warmed = replay_warmup(servable) if self._options.warmup else 0
        except Exception as err:
            log.exception("model %s: version %d failed to load", name, version)
            if servable is not None:
                servable.close()
            with self._lock:
                record.state = State.END
                record.error = f"{type(err).__name__}: {err}"[:1000]
            return False
        with self._lock:
            record.servable = servable
            record.state = State.AVAILABLE
        log.info(
            "model %s: version %d AVAILABLE in %.1fs (signatures %s, %d warmup requests replayed)",
            name, version, time.monotonic() - started, sorted(servable.signatures), warmed,
        )
        return True

    def _unload(self, model, record):
        with self._lock:
            servable, record.servable = record.servable, None
            if servable is None:
                return
            record.state = State.UNLOADING
        servable.close()
        with self._lock:
            record.state = State.END
        log.info("model %s: unloaded version %d", model.config.name, record.version)


def _mtime(path):
    if not path:
        return None
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None
