"""Serving latency and throughput of `albert serve` against the same SavedModel called in-process.

Cells (each `--duration` seconds of closed-loop load, `--concurrency` clients):
- `in-process`: the signature called directly in this process (`tf.saved_model.load`), one
  thread per client, no batching: what the model costs without a server;
- `server` / batching off, and `server` / batching on (length-grouped, the default), over gRPC
  (or REST with `--rest`): the difference to `in-process` is the server's own overhead;
- with `--mixed`, at the highest concurrency: one request in four is a long text
  (`--long-text`), the rest the short one, batching on with and without length grouping
  (`--batch-length-buckets none`); p50/p99 are also given for the short and the long requests.

    .venv/bin/python bench/serving.py --model-base-path /path/to/exported/albert --mixed
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

DEFAULT_TEXT = "这家店的菜很好吃，服务也很周到。"  # one short review (16 characters)
LONG_EVERY = 4  # --mixed: one request in LONG_EVERY is the long text


def default_long_text():
    """About 200 words of English from data/fortunes/science.txt (over 128 tokens)."""
    with open(os.path.join(REPO, "data", "fortunes", "science.txt"), encoding="utf-8") as f:
        words = f.read().replace("%", " ").split()
    return " ".join(words[:200])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-base-path", help="dir with version dirs (default: tiny test model)")
    parser.add_argument("--model-name", default="albert")
    parser.add_argument("--signature", default="fill_mask")
    parser.add_argument("--text", default=DEFAULT_TEXT)
    parser.add_argument("--long-text", default=None, help="the long text of --mixed (default: 200 words)")
    parser.add_argument("--batch", type=int, default=1, help="texts per request")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per cell")
    parser.add_argument("--max-batch-size", type=int, default=32)
    parser.add_argument("--batch-timeout-ms", type=float, default=2.0)
    parser.add_argument("--mixed", action="store_true",
                        help="add the mixed-length cells: batching with and without length grouping")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--skip-server", action="store_true", help="only the in-process (and --mixed) cells")
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


def latest_version(base):
    """The newest version directory under `base`."""
    versions = [int(d) for d in os.listdir(base) if d.isdigit()]
    if not versions:
        raise SystemExit(f"`--model-base-path` must hold version directories 1/, 2/, ... Received: {base}")
    return os.path.join(base, str(max(versions)))


def texts_for(args, index, n, mixed):
    """The texts of request `n` of client `index`, and its label."""
    if mixed and (index + n) % LONG_EVERY == 0:
        return [args.long_text] * args.batch, "long"
    return [args.text] * args.batch, "short"


def bench_in_process(args, base):
    """Calls the newest version's signature in this process; returns rows of results."""
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (the exported graph's ops)

    function = tf.saved_model.load(latest_version(base)).signatures[args.signature]
    wants_b = "text_b" in function.structured_input_signature[1]

    class Direct:
        def close(self):
            pass

    def request(_client, _index, _n):
        texts = [args.text] * args.batch
        inputs = {"text": tf.constant(texts)}
        if wants_b:
            inputs["text_b"] = tf.constant([""] * len(texts))
        out = function(**inputs)
        check_rows(out, len(texts))

    request(None, 0, 0)
    rows = []
    for concurrency in [int(c) for c in args.concurrency.split(",")]:
        result = run_load(lambda _: Direct(), request, concurrency, args.duration)
        rows.append(report({"where": "in-process", "batching": "-", "workload": "short", **result.summary()},
                           result))
    return rows


def bench_server(args, base, workdir, batching, grouping=True, mixed=False, concurrencies=None):
    """Starts one server and measures every concurrency; returns rows of results."""
    flags = ["--model-base-path", base, "--model-name", args.model_name, *args.server_args.split()]
    if batching:
        flags += ["--max-batch-size", str(args.max_batch_size),
                  "--batch-timeout-ms", str(args.batch_timeout_ms)]
        if not grouping:
            flags += ["--batch-length-buckets", "none"]
    label = ("on, grouped" if grouping else "on, ungrouped") if batching else "off"
    rows = []
    with ServerProcess(flags, workdir) as server:
        server.wait_ready()
        target = server.rest_target if args.rest else server.grpc_target

        def make_client(_):
            return ServingClient(target, args.model_name, rest=args.rest, timeout=120)

        def request(client, index, n):
            texts, tag = texts_for(args, index, n, mixed)
            out = client.predict(args.signature, client.text_inputs(args.signature, texts))
            check_rows(out, len(texts))
            return tag if mixed else None

        warm = make_client(0)
        request(warm, 0, 0)
        request(warm, 0, 1)
        warm.close()
        for concurrency in concurrencies or [int(c) for c in args.concurrency.split(",")]:
            result = run_load(make_client, request, concurrency, args.duration)
            row = {"where": "server", "batching": label, "workload": "mixed" if mixed else "short",
                   **result.summary()}
            rows.append(report(row, result))
    return rows


def check_rows(out, rows):
    first = next(iter(out.values()))
    if first.shape[0] != rows:
        raise AssertionError(f"asked {rows} rows, got {first.shape[0]}")


def report(row, result):
    if result.errors:
        row["first_error"] = result.errors[0][:300]
    print(format_row(row), flush=True)
    return row


HEADER = (f"{'where':>10} {'batching':>13} {'workload':>8} {'clients':>7} {'requests':>8} {'errors':>6} "
          f"{'qps':>7} {'p50_ms':>8} {'p99_ms':>8}  short p50/p99, long p50/p99 (mixed)")


def format_row(row):
    text = (f"{row['where']:>10} {row['batching']:>13} {row['workload']:>8} {row['concurrency']:>7} "
            f"{row['requests']:>8} {row['errors']:>6} {row['qps']:>7} "
            f"{row['p50_ms']!s:>8} {row['p99_ms']!s:>8}")
    if "p50_ms_short" in row:
        text += (f"  {row['p50_ms_short']}/{row['p99_ms_short']}, "
                 f"{row.get('p50_ms_long')}/{row.get('p99_ms_long')}")
    return text


def main(argv=None):
    args = parse_args(argv)
    args.long_text = args.long_text or default_long_text()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as workdir:
        base = os.path.abspath(args.model_base_path) if args.model_base_path else tiny_model(workdir)
        print(f"model {base}, signature {args.signature}, {args.batch} text(s) per request, "
              f"{args.duration:g}s per cell, {'REST' if args.rest else 'gRPC'}, "
              f"batching: max {args.max_batch_size} rows, {args.batch_timeout_ms:g} ms")
        print(f"short text {args.text!r} ({len(args.text.encode())} bytes), long text "
              f"{len(args.long_text.split())} words ({len(args.long_text.encode())} bytes)")
        print(HEADER)
        rows = []
        if not args.skip_server:
            for batching in (False, True):
                rows += bench_server(args, base, workdir, batching)
        if args.mixed:
            top = max(int(c) for c in args.concurrency.split(","))
            for grouping in (True, False):
                rows += bench_server(args, base, workdir, True, grouping, mixed=True, concurrencies=[top])
        if not args.skip_in_process:
            rows += bench_in_process(args, base)
    if args.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump({"model_base_path": base if args.model_base_path else "tiny test model",
                       "signature": args.signature, "text": args.text, "rows": rows}, f, indent=2)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
