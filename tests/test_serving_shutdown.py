"""The server stops cleanly on SIGTERM (run in-process, no TF import cost)."""

import json
import os
import signal
import socket
import threading
import time

from serving.client.client import ServingClient
from serving.server.server import main
from tests.serving_fixtures import free_port, save_fake_model


def test_sigterm_stops_the_server_gracefully(tmp_path):
    save_fake_model(str(tmp_path / "albert" / "1"), 1)
    port_file = str(tmp_path / "ports.json")
    grpc_port, rest_port = free_port(), free_port()
    seen = {}

    def client_then_sigterm():
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(port_file) and time.monotonic() < deadline:
                time.sleep(0.05)
            with open(port_file) as f:
                seen["ports"] = json.load(f)
            seen["status"] = ServingClient(f"127.0.0.1:{grpc_port}", "albert").status()
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=client_then_sigterm)
    helper.start()
    code = main([
        "--model-base-path", str(tmp_path / "albert"), "--model-name", "albert",
        "--port", str(grpc_port), "--rest-port", str(rest_port), "--port-file", port_file,
        "--poll-seconds", "0.2", "--preload", "",
    ])
    helper.join(timeout=30)
    assert code == 0
    assert seen["ports"] == {"grpc": grpc_port, "rest": rest_port}
    assert seen["status"] == [{"version": 1, "state": "AVAILABLE", "error": ""}]
    for port in (grpc_port, rest_port):  # both listeners are closed
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
