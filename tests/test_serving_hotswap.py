"""Version pick-up rules and hot swap under load (model `swap` of the shared server)."""

import os
import shutil
import threading
import time

import pytest

from serving.client.client import ServingClient
from tests.serving_fixtures import copy_version, shared_server


@pytest.fixture(scope="module")
def shared(request, tmp_path_factory):
    return shared_server(request, tmp_path_factory)


def _wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _states(client):
    return [(s["version"], s["state"]) for s in client.status()]


def test_hot_swap_under_load_switches_with_zero_failures(shared):
    target = shared.proc.grpc_target
    base = os.path.join(shared.root, "swap")
    status = ServingClient(target, "swap", timeout=20)
    assert _states(status) == [(1, "AVAILABLE")]

    stop = threading.Event()
    seen = [[] for _ in range(4)]
    errors = []

    def worker(i):
        with ServingClient(target, "swap", timeout=20) as client:
            for n in range(20000):  # bounded; normally ends by `stop`
                if stop.is_set():
                    return
                text = f"client{i}-request{n}"
                try:
                    out = client.predict("stats", {"text": [text]})
                    assert out["length"].tolist() == [len(text)]
                    seen[i].append(int(out["version"][0]))
                except Exception as err:  # counted: the test needs zero
                    errors.append(repr(err))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    try:
        _wait_for(lambda: all(seen), 30, "every client to get an answer from v1")
        # A half-copied version 3 (no saved_model.pb yet) must never be loaded,
        # even though it is the newest.
        shutil.copytree(shared.sources["v2"], os.path.join(base, "3"),
                        ignore=shutil.ignore_patterns("saved_model.pb"))
        copy_version(shared.sources["v2"], os.path.join(base, "2"))
        _wait_for(lambda: all(s[-1] == 2 for s in seen), 60, "every client to see v2")
        marks = [len(s) for s in seen]
        _wait_for(lambda: all(len(s) > m + 3 for s, m in zip(seen, marks, strict=False)), 30,
                  "more answers after the swap")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    for answers in seen:
        assert answers[0] == 1
        assert answers[-1] == 2
        assert answers == sorted(answers), "a client saw v1 again after v2"
    _wait_for(lambda: _states(status) == [(1, "END"), (2, "AVAILABLE")], 10, "v1 unloaded")
    time.sleep(1.0)  # five more polls: the half-copied v3 stays unloaded
    assert _states(status) == [(1, "END"), (2, "AVAILABLE")]


def test_failed_version_keeps_the_old_one_and_completed_copy_goes_live(shared):
    target = shared.proc.grpc_target
    base = os.path.join(shared.root, "swap")
    status = ServingClient(target, "swap", timeout=20)
    copy_version(shared.sources["bad_warmup"], os.path.join(base, "4"))

    def v4_failed():
        records = {s["version"]: s for s in status.status()}
        return 4 in records and records[4]["state"] == "END"

    _wait_for(v4_failed, 60, "v4 to fail its warmup")
    records = {s["version"]: s for s in status.status()}
    assert "no_such_signature" in records[4]["error"]
    assert records[2]["state"] == "AVAILABLE"
    assert ServingClient(target, "swap").predict("stats", {"text": ["x"]})["version"].tolist() == [2]

    # Finishing the copy of v3 (saved_model.pb last) makes it the newest loadable version.
    shutil.copy2(os.path.join(shared.sources["v2"], "saved_model.pb"),
                 os.path.join(base, "3", "saved_model.pb"))
    _wait_for(lambda: dict(_states(status)).get(3) == "AVAILABLE", 60, "v3 to load")
    _wait_for(lambda: dict(_states(status)).get(2) == "END", 10, "v2 to unload")
    assert ServingClient(target, "swap", version=3).predict("stats", {"text": ["x"]})["length"].tolist() == [1]
