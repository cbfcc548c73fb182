"""`albert` subcommands contributed by the `serving` package: `serve` and `query`.

The server and client import TensorFlow, so they are imported only when their
subcommand runs; `albert --help` stays fast.
"""

import argparse
import sys

from serving.server.args import add_serve_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `serve` and `query` subcommands to the `albert` CLI."""
    serve = subparsers.add_parser(
        "serve", help="serve SavedModel versions over TF Serving's gRPC and REST APIs"
    )
    add_serve_arguments(serve)
    serve.set_defaults(func=_serve)

    query = subparsers.add_parser("query", help="query a TF Serving compatible server")
    query.add_argument("--server", default="127.0.0.1:8500", help="HOST:PORT (REST port with --rest)")
    query.add_argument("--model", default="albert", help="model name")
    query.add_argument("--signature", default="fill_mask", help="signature name")
    query.add_argument("--text", action="append", required=True,
                       help="input text; repeat for a batch")
    query.add_argument("--text-b", action="append", help="second segment; one per --text")
    query.add_argument("--version", type=int, help="pin a model version")
    query.add_argument("--label", help="version label (e.g. stable), instead of --version")
    query.add_argument("--rest", action="store_true", help="use the REST API")
    query.add_argument("--json", action="store_true", help="print the outputs as JSON")
    query.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    query.add_argument("--wait-for-ready", action="store_true",
                       help="gRPC: wait up to --timeout for the server to come up")
    query.set_defaults(func=_query)


def _serve(args):
    from serving.server.server import serve  # loads TensorFlow: only when `albert serve` runs

    return serve(args)


def _query(args):
    # Imported when `albert query` runs, not at `albert --help`: the client loads TensorFlow.
    from serving.client.client import ServingClient
    from serving.client.printing import format_json, format_outputs
    from serving.errors import ServingError

    if args.text_b and len(args.text_b) != len(args.text):
        print("error: give one --text-b per --text", file=sys.stderr)
        return 2
    client = ServingClient(args.server, args.model, rest=args.rest, timeout=args.timeout,
                           version=args.version, version_label=args.label,
                           wait_for_ready=args.wait_for_ready)
    try:
        inputs = client.text_inputs(args.signature, args.text, args.text_b or None)
        outputs = client.predict(args.signature, inputs)
    except ServingError as err:
        print(f"error: {err.code.name}: {err.message}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(format_json(outputs) if args.json else format_outputs(args.signature, args.text, outputs))
    return 0
