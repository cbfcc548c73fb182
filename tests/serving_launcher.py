"""Runs the local server in a subprocess (for tests and benchmarks)."""

import json
import os
import socket
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    """Returns a currently free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`python -m serving.server` in a subprocess on free loopback ports.

    Args:
        args: extra server flags (model paths, batching, ...).
        workdir: where the port and log files go.
    """

    def __init__(self, args, workdir):
        stamp = time.monotonic_ns()
        self.port_file = os.path.join(workdir, f"server-{stamp}.ports.json")
        self.log_path = os.path.join(workdir, f"server-{stamp}.log")
        self.grpc_port, self.rest_port = free_port(), free_port()
        cmd = [sys.executable, "-m", "serving.server", "--port", str(self.grpc_port),
               "--rest-port", str(self.rest_port), "--port-file", self.port_file, *args]
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
        env["PYTHONPATH"] = REPO + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env)

    def wait_ready(self, timeout=300):
        """Waits until the server listens (its initial versions are loaded by then).

        Raises:
            RuntimeError: the server exited (its log is in the message).
            TimeoutError: it was not ready in time.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log()[-5000:]}")
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    ports = json.load(f)
                self.grpc_port, self.rest_port = ports["grpc"], ports["rest"]
                return self
            time.sleep(0.1)
        raise TimeoutError(f"server not ready in {timeout}s:\n{self.log()[-5000:]}")

    @property
    def grpc_target(self):
        """"127.0.0.1:PORT" of the gRPC API."""
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def rest_target(self):
        """"127.0.0.1:PORT" of the REST API."""
        return f"127.0.0.1:{self.rest_port}"

    def log(self):
        """Returns the server's output so far."""
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        try:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            self._log.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
