"""Serving latency and throughput: fill_mask at concurrency 1, 4, 8, with and
without dynamic batching, against the local server (`serving.server`).

    .venv/bin/python bench/serving.py --model-base-path /path/to/exported/albert
    .venv/bin/python bench/serving.py            # builds the tiny test model

Prints a table; `--json-out bench/results/serving.json` also writes JSON.
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

DEFAULT_TEXT = "The capital of France is [MASK]."


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-base-path", help="dir with version dirs (default: tiny test model)")
    parser.add_argument("--model-name", default="albert")
    parser.add_argument("--signature", default="fill_mask")
    parser.add_argument("--text", default=DEFAULT_TEXT)
    parser.add_argument("--batch", type=int, default=1, help="texts per request")
    parser.add_argument("--concurrency", default="1,4,8")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per cell")
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--batch-timeout-ms", type=float, default=2.0)
    parser.add_argument("--rest", action="store_true", help="query over REST instead of gRPC")
    parser.add_argument("--server-args", default="", help="extra flags for serving.server")
    parser.add_argument("--json-out", help="also write the results here")
    return parser.parse_args(argv)


def tiny_model(workdir):
    """Builds the test suite's fake ALBERT (version 1) under workdir; returns the base path."""
    sys.path.insert(0, REPO)
    from tests.serving_fixtures import save_fake_model

    base = os.path.join(workdir, "albert")
    save_fake_model(os.path.join(base, "1"), 1)
    return base


def bench_server(args, base, batching, workdir):
    """Starts one server and measures every concurrency; returns rows of results."""
    flags = ["--model-base-path", base, "--model-name", args.model_name, *args.server_args.split()]
    if batching:
        flags += ["--max-batch-size", str(args.max_batch_size),
                  "--batch-timeout-ms", str(args.batch_timeout_ms)]
    texts = [args.text] * args.batch
    rows = []
    with ServerProcess(flags, workdir) as server:
        server.wait_ready()
        target = server.rest_target if args.rest else server.grpc_target

        def make_client(_):
            return ServingClient(target, args.model_name, rest=args.rest, timeout=60)

        def request(client, _index, _n):
            out = client.predict(args.signature, client.text_inputs(args.signature, texts))
            first = next(iter(out.values()))
            if first.shape[0] != len(texts):
                raise AssertionError(f"asked {len(texts)} rows, got {first.shape[0]}")

        warm = make_client(0)
        request(warm, 0, 0)
        warm.close()
        for concurrency in [int(c) for c in args.concurrency.split(",")]:
            result = run_load(make_client, request, concurrency, args.duration)
            row = {"batching": batching, **result.summary()}
            if result.errors:
                row["first_error"] = result.errors[0][:300]
            rows.append(row)
            print(format_row(row), flush=True)
    return rows


def format_row(row):
    return (f"{'on' if row['batching'] else 'off':>8} {row['concurrency']:>11} "
            f"{row['requests']:>8} {row['errors']:>6} {row['qps']:>8} "
            f"{row['p50_ms']!s:>8} {row['p99_ms']!s:>8}")


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as workdir:
        base = os.path.abspath(args.model_base_path) if args.model_base_path else tiny_model(workdir)
        print(f"model {base}, signature {args.signature}, {args.batch} text(s) per request, "
              f"{args.duration:g}s per cell, {'REST' if args.rest else 'gRPC'}")
        print(f"{'batching':>8} {'concurrency':>11} {'requests':>8} {'errors':>6} {'qps':>8} "
              f"{'p50_ms':>8} {'p99_ms':>8}")
        rows = []
        for batching in (False, True):
            rows += bench_server(args, base, batching, workdir)
    if args.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump({"model_base_path": base if args.model_base_path else "tiny test model",
                       "signature": args.signature, "rows": rows}, f, indent=2)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
