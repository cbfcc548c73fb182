"""Server-side dynamic batching: concurrent calls are run as one.

Requests for the same signature wait up to `timeout_s` for others; their
inputs are concatenated along dimension 0 (only requests whose inputs agree
on every dimension but the first are merged), the signature runs once, and
every output whose dimension 0 equals the merged batch is split back.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

_STOP = object()


class _Item:
    def __init__(self, inputs: dict[str, np.ndarray], rows: int, key: tuple) -> None:
        self.inputs = inputs
        self.rows = rows
        self.key = key
        self.result = None
        self.error = None
        self.done = threading.Event()


class Batcher:
    """Merges concurrent calls of `function` into batches.

    Args:
        function: callable taking a dict of numpy arrays, returning one.
        max_batch_size: most rows in a merged batch.
        timeout_s: longest a request waits for others to join.
        name: thread name, for logs.
    """

    def __init__(
        self,
        function: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
        max_batch_size: int,
        timeout_s: float,
        name: str = "batcher",
    ) -> None:
        self._function = function
        self._max = max_batch_size
        self._timeout = timeout_s
        self._queue = queue.Queue()
        self._stopped = False
        self._lock = threading.Lock()
        self.batches = 0  # merged calls made, for logs and tests
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Runs one request, possibly merged with others; blocks until done."""
        rows = _rows(inputs)
        if rows is None or rows == 0 or rows >= self._max:
            return self._function(inputs)
        item = _Item(inputs, rows, _merge_key(inputs))
        with self._lock:  # an item is queued before the stop marker, or not at all
            queued = not self._stopped
            if queued:
                self._queue.put(item)
        if not queued:
            return self._function(inputs)
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.result

    def stop(self) -> None:
        """Finishes queued requests and ends the worker thread."""
        with self._lock:
            self._stopped = True
            self._queue.put(_STOP)

    def _loop(self):
        carry = None
        while True:
            first = carry if carry is not None else self._queue.get()
            carry = None
            if first is _STOP:
                self._drain()
                return
            batch, total = [first], first.rows
            deadline = time.monotonic() + self._timeout
            while total < self._max:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
                if item is _STOP or item.key != first.key or total + item.rows > self._max:
                    carry = item
                    break
                batch.append(item)
                total += item.rows
            self._execute(batch, total)

    def _drain(self):
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                self._execute([item], item.rows)

    def _execute(self, batch, total):
        self.batches += 1
        log.debug("batch of %d rows from %d requests", total, len(batch))
        if len(batch) == 1:
            self._run_one(batch[0])
            return
        merged = {k: np.concatenate([it.inputs[k] for it in batch]) for k in batch[0].inputs}
        try:
            outputs = self._function(merged)
        except Exception:  # one bad request must not fail the others: run them alone
            log.warning("merged batch of %d rows failed; running its %d requests alone",
                        total, len(batch), exc_info=True)
            for item in batch:
                self._run_one(item)
            return
        start = 0
        for item in batch:
            end = start + item.rows
            item.result = {
                k: v[start:end] if v.ndim >= 1 and v.shape[0] == total else v
                for k, v in outputs.items()
            }
            start = end
            item.done.set()

    def _run_one(self, item):
        try:
            item.result = self._function(item.inputs)
        except Exception as err:  # handed to the waiting caller, which raises it
            item.error = err
        item.done.set()


def _rows(inputs):
    rows = None
    for value in inputs.values():
        if value.ndim == 0:
            return None
        rows = value.shape[0]
    return rows


def _merge_key(inputs):
    return tuple(sorted((k, v.dtype.str, v.shape[1:]) for k, v in inputs.items()))
