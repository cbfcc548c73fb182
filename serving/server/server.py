"""The local model server: TF Serving's gRPC and REST APIs over SavedModels.

Run as `albert serve ...` or `python -m serving.server ...`.
"""

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
from concurrent import futures

import grpc

from albert_keras import logs
from serving.api.grpc_service import add_servicers
from serving.api.rest_server import make_rest_server
from serving.server.args import add_serve_arguments
from serving.server.batching_config import read_batching_parameters
from serving.server.manager import ModelManager
from serving.server.model_config import read_model_config, single_model_config
from serving.server.servable import ServableOptions
from serving.server.service import InferenceService

log = logging.getLogger("serving.server")

MAX_MESSAGE_BYTES = 64 << 20
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _config(args):
    if args.model_config_file:
        return read_model_config(args.model_config_file)
    if not args.model_base_path:
        raise SystemExit("serve needs --model-base-path or --model-config-file")
    base = os.path.abspath(args.model_base_path)
    name = args.model_name or os.path.basename(base.rstrip("/"))
    return single_model_config(name, base)


def _batching(args):
    size, timeout_ms = 0, 5.0
    if args.batching_parameters_file:
        params = read_batching_parameters(args.batching_parameters_file)
        if params.HasField("max_batch_size"):
            size = params.max_batch_size.value
        if params.HasField("batch_timeout_micros"):
            timeout_ms = params.batch_timeout_micros.value / 1000.0
    if args.max_batch_size is not None:
        size = args.max_batch_size
    if args.batch_timeout_ms is not None:
        timeout_ms = args.batch_timeout_ms
    return size, timeout_ms


def _preload(modules):
    for module in filter(None, modules.split(",")):
        try:
            importlib.import_module(module)
        except ImportError:
            log.warning("could not import %s; models that need its ops will fail to load", module)


def serve(args: argparse.Namespace) -> int:
    """Runs the server until SIGTERM or SIGINT; returns the exit code.

    The server's own records (`serving.*`, at `--log-level`) reach the console
    with a timestamp; under `albert serve` the libraries' go to the log file
    (see `albert_keras.logs`).
    """
    logging.getLogger("serving").setLevel(args.log_level.upper())
    logs.set_console_format(LOG_FORMAT)
    _preload(args.preload)
    max_batch_size, batch_timeout_ms = _batching(args)
    options = ServableOptions(
        max_batch_size=max_batch_size,
        batch_timeout_ms=batch_timeout_ms,
        batch_length_buckets=args.batch_length_buckets,
        max_request_batch=args.max_request_batch,
        emulate_version=args.emulate_version,
        warmup=not args.no_warmup,
    )
    manager = ModelManager(_config(args), options, args.model_config_file, args.poll_seconds)
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _run(args, manager, stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(args, manager, stop):
    try:
        manager.start()
        if args.wait_for_models > 0:
            manager.wait_for_models(args.wait_for_models)
        return _serve_until(args, manager, stop)
    finally:
        manager.stop()


def _serve_until(args, manager, stop):
    service = InferenceService(manager)

    grpc_server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.threads, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    add_servicers(grpc_server, service)
    try:
        grpc_port = grpc_server.add_insecure_port(f"{args.host}:{args.port}")
    except RuntimeError:
        grpc_port = 0
    if not grpc_port:
        raise SystemExit(f"cannot bind gRPC to {args.host}:{args.port}")
    grpc_server.start()
    rest_port, rest_server = None, None
    if args.rest_port >= 0:
        rest_server = make_rest_server(args.host, args.rest_port, service)
        rest_port = rest_server.server_address[1]
        threading.Thread(target=rest_server.serve_forever, name="rest", daemon=True).start()
    log.info("serving %s: gRPC on %s:%d, REST on %s:%s",
             manager.model_names(), args.host, grpc_port, args.host, rest_port)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"grpc": grpc_port, "rest": rest_port}, f)
        os.replace(tmp, args.port_file)

    while not stop.wait(1.0):
        pass
    log.info("shutting down")
    if rest_server is not None:
        rest_server.shutdown()
        rest_server.server_close()
    grpc_server.stop(grace=5).wait()
    log.info("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m serving.server`.

    Args:
        argv: the flags; `None` for the command line, which also sends every
            log record (at `--log-level`) to the console, with no log file. A
            caller passing `argv` keeps its own logging.
    """
    args = add_serve_arguments(argparse.ArgumentParser(prog="serving.server")).parse_args(argv)
    if argv is None:
        logs.setup(None, verbose=True)
        logging.getLogger().setLevel(args.log_level.upper())
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
