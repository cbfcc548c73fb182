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
        labels: the label `request` returned for each latency (None if it returned none).
    """

    def __init__(self, latencies, errors, seconds, concurrency, labels=None):
        self.latencies = latencies
        self.errors = errors
        self.seconds = seconds
        self.concurrency = concurrency
        self.labels = labels if labels is not None else [None] * len(latencies)

    def summary(self):
        """Returns {"concurrency", "requests", "errors", "qps", "p50_ms", "p99_ms"}, plus
        "p50_ms_LABEL" and "p99_ms_LABEL" for each label the requests returned."""
        out = {
            "concurrency": self.concurrency,
            "requests": len(self.latencies),
            "errors": len(self.errors),
            "qps": round(len(self.latencies) / self.seconds, 1) if self.seconds else 0.0,
            **_percentiles(self.latencies, ""),
        }
        for label in sorted({lab for lab in self.labels if lab is not None}):
            mine = [t for t, lab in zip(self.latencies, self.labels, strict=True) if lab == label]
            out.update(_percentiles(mine, f"_{label}"))
        return out


def _percentiles(latencies, suffix):
    lat = np.asarray(latencies) * 1000.0
    return {
        f"p50_ms{suffix}": round(float(np.percentile(lat, 50)), 2) if lat.size else None,
        f"p99_ms{suffix}": round(float(np.percentile(lat, 99)), 2) if lat.size else None,
    }


def run_load(make_client, request, concurrency, duration_s, max_requests=10_000_000):
    """Runs `concurrency` clients for `duration_s` seconds.

    Args:
        make_client: callable(index) returning a client with `predict` and `close`.
        request: callable(client, index, n) that sends one request and checks
            its answer (raises on a wrong one); what it returns (e.g. "short")
            labels the latency, for per-label percentiles.
        concurrency: number of client threads.
        duration_s: how long to run.
        max_requests: per-client bound on requests.

    Returns:
        a `LoadResult`.
    """
    latencies, errors, labels = [], [], []
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + duration_s

    def worker(index):
        client = make_client(index)
        mine, failed, tags = [], [], []
        try:
            n = 0
            while time.monotonic() < deadline and n < max_requests:
                began = time.perf_counter()
                try:
                    tag = request(client, index, n)
                    mine.append(time.perf_counter() - began)
                    tags.append(tag)
                except Exception as err:  # reported in the result, never dropped
                    failed.append(repr(err))
                n += 1
        finally:
            client.close()
            with lock:
                latencies.extend(mine)
                labels.extend(tags)
                errors.extend(failed)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration_s + 120)
    return LoadResult(latencies, errors, time.monotonic() - start, concurrency, labels)
