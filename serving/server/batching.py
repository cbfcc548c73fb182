"""Server-side dynamic batching: concurrent calls are run as one.

Requests for the same signature are merged: their inputs are concatenated
along dimension 0, the signature runs once, and every output whose dimension
0 equals the merged batch is split back. As in TF Serving, a batch runs when
it holds `max_batch_size` rows or when its oldest request has waited
`timeout_s`; only requests whose inputs agree on every dimension but the
first share a batch.

Length grouping: the exported signatures tokenize in-graph and pad a batch to
its longest row, so one long text in a batch of short ones makes every row
pay for its length. Each request therefore also gets a length bucket (the
UTF-8 bytes of its longest row, see `request_length`) and waits only with
requests of the same bucket: each (input shapes, bucket) pair is its own
batch queue with TF Serving's rules above. `length_buckets=None` puts every
length in one queue.
"""

import bisect
import logging
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_LENGTH_BUCKETS = (16, 32, 64, 128, 256, 512, 1024)
"""Upper bounds (UTF-8 bytes, inclusive) of the length groups; longer requests form one more group.

Within a group the longest request is at most about twice the shortest, so a
short text pads to at most about twice its length (texts over ~1 KB are cut to
the export's sequence length anyway)."""


class _Item:
    def __init__(self, inputs: dict[str, np.ndarray], rows: int) -> None:
        self.inputs = inputs
        self.rows = rows
        self.result = None
        self.error = None
        self.done = threading.Event()


class _Batch:
    """The requests of one queue that will run together."""

    def __init__(self, key: tuple, deadline: float) -> None:
        self.key = key
        self.deadline = deadline
        self.items = []
        self.rows = 0


class Batcher:
    """Merges concurrent calls of `function` into batches.

    Args:
        function: callable taking a dict of numpy arrays `[B, ...]`, returning
            one whose batched outputs are `[B, ...]`.
        max_batch_size: most rows in a merged batch.
        timeout_s: longest a request waits for others to join.
        name: thread name, for logs.
        length_buckets: increasing upper bounds (UTF-8 bytes) of the length
            groups (see `request_length`); requests of different groups never
            share a batch. None or empty: no grouping.
    """

    def __init__(
        self,
        function: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
        max_batch_size: int,
        timeout_s: float,
        name: str = "batcher",
        length_buckets: Sequence[int] | None = DEFAULT_LENGTH_BUCKETS,
    ) -> None:
        self._function = function
        self._max = max_batch_size
        self._timeout = timeout_s
        self._buckets = check_length_buckets(length_buckets)
        self._cond = threading.Condition()
        self._open = {}  # queue key -> the _Batch still taking requests
        self._ready = []  # full _Batches, not yet run
        self._stopped = False
        self.batches = 0  # merged calls made, for logs and tests
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Runs one request, possibly merged with others; blocks until done.

        Args:
            inputs: dict of input name to numpy array, all `[B, ...]` with one B.

        Returns:
            this request's rows of every batched output (`[B, ...]`), and the
            outputs without a batch dimension whole.
        """
        rows = _rows(inputs)
        if rows is None or rows == 0 or rows >= self._max:
            return self._function(inputs)
        item = _Item(inputs, rows)
        key = (_merge_key(inputs), self.bucket(inputs))
        with self._cond:  # a request is queued before stop(), or runs here
            queued = not self._stopped
            if queued:
                self._add(key, item)
                self._cond.notify()
        if not queued:
            return self._function(inputs)
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.result

    def bucket(self, inputs: dict[str, np.ndarray]) -> int:
        """Returns the length group of a request (0 when grouping is off)."""
        if not self._buckets:
            return 0
        return bisect.bisect_left(self._buckets, request_length(inputs))

    def stop(self) -> None:
        """Runs the queued requests at once and ends the worker thread."""
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _add(self, key, item):
        batch = self._open.get(key)
        if batch is not None and batch.rows + item.rows > self._max:
            self._ready.append(self._open.pop(key))
            batch = None
        if batch is None:
            batch = self._open[key] = _Batch(key, time.monotonic() + self._timeout)
        batch.items.append(item)
        batch.rows += item.rows
        if batch.rows >= self._max:
            self._ready.append(self._open.pop(key))

    def _loop(self):
        while True:
            with self._cond:
                batch = self._next_batch()
            if batch is None:
                return
            self._execute(batch.items, batch.rows)

    def _next_batch(self):
        """The batch to run next, oldest first among the full and the timed-out
        ones (all of them once stopped); None when stopped and nothing is left.
        Called with the lock held; waits on it."""
        while True:
            now = time.monotonic()
            due = [b for b in self._open.values() if self._stopped or b.deadline <= now]
            candidates = self._ready + due
            if candidates:
                batch = min(candidates, key=lambda b: b.deadline)
                if self._open.get(batch.key) is batch:
                    del self._open[batch.key]
                else:
                    self._ready.remove(batch)
                return batch
            if self._stopped:
                return None
            deadline = min((b.deadline for b in self._open.values()), default=None)
            self._cond.wait(None if deadline is None else deadline - now)

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


def request_length(inputs: dict[str, np.ndarray]) -> int:
    """The length a request is grouped by: UTF-8 bytes of its longest row.

    A row's length is the sum over the string inputs of the row's longest
    element (`text` plus `text_b` for a pair; the longest choice of
    `choices` `[B, N]`). Other inputs count 0: their shapes already keep
    unlike requests apart.

    Args:
        inputs: dict of input name to numpy array `[B, ...]`.

    Returns:
        the length in bytes (0 for a request without string inputs).
    """
    rows = _rows(inputs)
    if not rows:
        return 0
    per_row = np.zeros(rows, np.int64)
    for value in inputs.values():
        if value.dtype.kind not in "OSU" or value.shape[0] != rows:
            continue
        flat = value.reshape(rows, -1)
        if flat.shape[1] == 0:
            continue
        per_row += np.array([max(_byte_length(x) for x in row) for row in flat], np.int64)
    return int(per_row.max())


def check_length_buckets(buckets: Sequence[int] | None) -> tuple[int, ...]:
    """Returns `buckets` as a tuple, () for None.

    Raises:
        ValueError: unless they are positive integers in increasing order.
    """
    values = tuple(buckets or ())
    if any(isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b <= 0 for b in values) or any(
        a >= b for a, b in zip(values, values[1:], strict=False)
    ):
        raise ValueError(
            "`length_buckets` must be positive integers (UTF-8 bytes) in increasing order. "
            f"Received: {buckets!r}"
        )
    return values


def _byte_length(value):
    if isinstance(value, bytes):
        return len(value)
    return len(str(value).encode("utf-8"))


def _rows(inputs):
    rows = None
    for value in inputs.values():
        if value.ndim == 0:
            return None
        rows = value.shape[0]
    return rows


def _merge_key(inputs):
    return tuple(sorted((k, v.dtype.str, v.shape[1:]) for k, v in inputs.items()))
