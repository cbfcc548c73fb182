"""The `serve` command-line flags (kept free of heavy imports so `albert --help` is fast)."""

import argparse
import re

OLDEST_VERSION = (2, 12)
"""The oldest TF Serving release the stand-in emulates (and its default)."""

DEFAULTS_SINCE = (2, 14)
"""TF Serving fills missing Predict inputs from `SignatureDef.defaults` from this release on
(`predict_util.cc`, `VerifyRequestInputsSize` and `saved_model::GetInputValues`)."""


def parse_emulated_version(text: str) -> tuple[int, int]:
    """Returns (major, minor) of a `--emulate-version` value such as "2.14" or "2.16.1".

    Raises:
        argparse.ArgumentTypeError: if it does not parse or is older than `OLDEST_VERSION`.
    """
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", text.strip())
    version = (int(match[1]), int(match[2])) if match else None
    if version is None or version < OLDEST_VERSION:
        oldest = f"{OLDEST_VERSION[0]}.{OLDEST_VERSION[1]}"
        raise argparse.ArgumentTypeError(
            f"`--emulate-version` must be a TF Serving release MAJOR.MINOR, {oldest} or later. "
            f"Received: {text!r}"
        )
    return version


DEFAULT_LENGTH_BUCKETS = "16,32,64,128,256,512,1024"
"""`--batch-length-buckets`' default (the same as `serving.server.batching.DEFAULT_LENGTH_BUCKETS`)."""


def parse_length_buckets(text: str) -> tuple[int, ...]:
    """Returns the byte bounds of a `--batch-length-buckets` value such as "32,128,512"; () for "none".

    Raises:
        argparse.ArgumentTypeError: unless it is "none" or positive integers in increasing order.
    """
    if text.strip().lower() in ("none", "off", ""):
        return ()
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = None
    if not values or any(v <= 0 for v in values) or any(a >= b for a, b in zip(values, values[1:], strict=False)):
        raise argparse.ArgumentTypeError(
            "`--batch-length-buckets` must be comma-separated positive byte lengths in increasing "
            f"order, or none. Received: {text!r}"
        )
    return values


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the `serve` flags to an `argparse` parser."""
    parser.add_argument("--model-base-path", help="directory holding version dirs 1/, 2/, ...")
    parser.add_argument("--model-name", help="name clients use (default: base path's basename)")
    parser.add_argument("--model-config-file", help="TF Serving models.config (text ModelServerConfig)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8500, help="gRPC port (0 = any free port)")
    parser.add_argument("--rest-port", type=int, default=8501, help="REST port (0 = any, -1 = off)")
    parser.add_argument("--wait-for-models", type=float, default=0.0, metavar="SECONDS",
                        help="open the ports only once every model has a version loaded "
                             "(or SECONDS passed); default: after the first scan")
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="seconds between version scans")
    parser.add_argument("--max-batch-size", type=int, default=None,
                        help="dynamic batching: most rows per merged batch (0 = off, the default)")
    parser.add_argument("--batch-timeout-ms", type=float, default=None,
                        help="dynamic batching: how long a request waits for others (default 5)")
    parser.add_argument("--batching-parameters-file",
                        help="TF Serving batching.config; its max_batch_size and "
                             "batch_timeout_micros apply unless the flags above are given")
    parser.add_argument("--batch-length-buckets", type=parse_length_buckets,
                        default=parse_length_buckets(DEFAULT_LENGTH_BUCKETS), metavar="BYTES,...",
                        help="dynamic batching: requests wait only for others of the same length "
                             "group, bounded by these UTF-8 byte lengths of the longest row "
                             f"(default {DEFAULT_LENGTH_BUCKETS}; none = one group)")
    parser.add_argument("--max-request-batch", type=int, default=1024,
                        help="largest batch one request may send (INVALID_ARGUMENT above)")
    parser.add_argument("--emulate-version", type=parse_emulated_version, default=OLDEST_VERSION,
                        metavar="MAJOR.MINOR",
                        help="the TF Serving release whose request rules to follow (default "
                             f"{OLDEST_VERSION[0]}.{OLDEST_VERSION[1]}, the oldest supported; "
                             f"{DEFAULTS_SINCE[0]}.{DEFAULTS_SINCE[1]} and later fill inputs a "
                             "request leaves out from the SignatureDef's defaults)")
    parser.add_argument("--threads", type=int, default=16, help="gRPC worker threads")
    parser.add_argument("--no-warmup", action="store_true", help="skip the warmup requests")
    parser.add_argument("--preload", default="tensorflow_text",
                        help="comma-separated modules to import first (custom ops in the models)")
    parser.add_argument("--port-file", help="write {'grpc': port, 'rest': port} here once serving")
    parser.add_argument("--log-level", default="INFO")
    return parser
