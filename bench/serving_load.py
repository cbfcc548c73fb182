"""A longer bounded load run against a server; fails if any request fails.

    # against a running server (local or real TF Serving):
    .venv/bin/python bench/serving_load.py --target 127.0.0.1:8500 --duration 300
    # or start the local server on a model dir:
    .venv/bin/python bench/serving_load.py --model-base-path /path/to/albert --duration 60

Exit code 0 only with zero errors.
"""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[0] = REPO  # bench/serving.py must not shadow the `serving` package

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402

from bench.loadgen import run_load  # noqa: E402
from serving.client.client import ServingClient  # noqa: E402
from tests.serving_launcher import ServerProcess  # noqa: E402

TEXTS = ["The capital of France is [MASK].", "A [MASK] is a small animal.", "", "héllo [MASK] ✓"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--target", help="HOST:PORT of a running server (gRPC, or REST with --rest)")
    where.add_argument("--model-base-path", help="start the local server on this dir")
    parser.add_argument("--model-name", default="albert")
    parser.add_argument("--signature", default="fill_mask")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds (bounded run)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rest", action="store_true")
    parser.add_argument("--server-args", default="--max-batch-size 32 --batch-timeout-ms 2",
                        help="flags for the local server")
    parser.add_argument("--json-out")
    return parser.parse_args(argv)


def load(args, target):
    """Runs the load on `target`; returns the summary dict."""
    def make_client(_):
        return ServingClient(target, args.model_name, rest=args.rest, timeout=60)

    def request(client, index, n):
        texts = [TEXTS[(index + n) % len(TEXTS)], TEXTS[n % len(TEXTS)]]
        out = client.predict(args.signature, client.text_inputs(args.signature, texts))
        rows = {v.shape[0] for v in out.values() if v.ndim}
        if rows != {len(texts)}:
            raise AssertionError(f"asked {len(texts)} rows, got {rows}")

    result = run_load(make_client, request, args.concurrency, args.duration)
    summary = result.summary()
    summary["first_errors"] = result.errors[:5]
    return summary


def main(argv=None):
    args = parse_args(argv)
    if args.target:
        summary = load(args, args.target)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-load-") as workdir:
            base = args.model_base_path
            if not base:
                sys.path.insert(0, REPO)
                from tests.serving_fixtures import save_fake_model

                base = os.path.join(workdir, "albert")
                save_fake_model(os.path.join(base, "1"), 1)
            flags = ["--model-base-path", os.path.abspath(base), "--model-name", args.model_name,
                     *args.server_args.split()]
            with ServerProcess(flags, workdir) as server:
                server.wait_ready()
                summary = load(args, server.rest_target if args.rest else server.grpc_target)
    print(json.dumps(summary, indent=2))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(summary, f, indent=2)
    return 0 if summary["errors"] == 0 and summary["requests"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
