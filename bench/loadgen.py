"""Closed-loop load generation: N clients send requests back to back."""

import threading
import time

import numpy as np


class LoadResult:
    """Outcome of one load run.

    Attributes:
        latencies: seconds per successful request.
        errors: repr of each failed request.
        seconds: wall time of the run.
        concurrency: number of clients.
    """

    def __init__(self, latencies, errors, seconds, concurrency):
        self.latencies = latencies
        self.errors = errors
        self.seconds = seconds
        self.concurrency = concurrency

    def summary(self):
        """Returns {"concurrency", "requests", "errors", "qps", "p50_ms", "p99_ms"}."""
        lat = np.asarray(self.latencies) * 1000.0
        return {
            "concurrency": self.concurrency,
            "requests": len(self.latencies),
            "errors": len(self.errors),
            "qps": round(len(self.latencies) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(float(np.percentile(lat, 50)), 2) if lat.size else None,
            "p99_ms": round(float(np.percentile(lat, 99)), 2) if lat.size else None,
        }


def run_load(make_client, request, concurrency, duration_s, max_requests=10_000_000):
    """Runs `concurrency` clients for `duration_s` seconds.

    Args:
        make_client: callable(index) returning a client with `predict` and `close`.
        request: callable(client, index, n) that sends one request and checks
            its answer (raises on a wrong one).
        concurrency: number of client threads.
        duration_s: how long to run.
        max_requests: per-client bound on requests.

    Returns:
        a `LoadResult`.
    """
    latencies, errors = [], []
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + duration_s

    def worker(index):
        client = make_client(index)
        mine, failed = [], []
        try:
            n = 0
            while time.monotonic() < deadline and n < max_requests:
                began = time.perf_counter()
                try:
                    request(client, index, n)
                    mine.append(time.perf_counter() - began)
                except Exception as err:  # reported in the result, never dropped
                    failed.append(repr(err))
                n += 1
        finally:
            client.close()
            with lock:
                latencies.extend(mine)
                errors.extend(failed)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration_s + 120)
    return LoadResult(latencies, errors, time.monotonic() - start, concurrency)
