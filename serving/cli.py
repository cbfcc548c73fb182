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
    query.add_argument("--text", action="append", help="input text; repeat for a batch")
    query.add_argument("--text-b", action="append",
                       help="second segment (the *_pair signatures); one per --text")
    query.add_argument("--question", action="append", help="answer_question: a question; repeat for a batch")
    query.add_argument("--context", action="append",
                       help="answer_question: the context of each --question; choose: the context")
    query.add_argument("--choice", action="append", help="choose: a choice; repeat (they go with every --context)")
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

    inputs, rows, error = _query_inputs(args)
    if error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    client = ServingClient(args.server, args.model, rest=args.rest, timeout=args.timeout,
                           version=args.version, version_label=args.label,
                           wait_for_ready=args.wait_for_ready)
    try:
        if "text" in inputs and "text_b" not in inputs and "text_b" in client.signature_inputs(args.signature):
            inputs["text_b"] = [""] * len(inputs["text"])  # a pair signature: every input is required
        outputs = client.predict(args.signature, inputs)
    except ServingError as err:
        print(f"error: {err.code.name}: {err.message}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(format_json(outputs) if args.json else format_outputs(args.signature, rows, outputs, inputs))
    return 0


def _query_inputs(args):
    """The request's inputs, the row descriptions to print, and an error message (or None)."""
    if args.question:
        if not args.context or len(args.context) != len(args.question):
            return None, None, "give one --context per --question"
        inputs = {"question": args.question, "context": args.context}
        return inputs, [f"Q: {q}  C: {c}" for q, c in zip(args.question, args.context, strict=True)], None
    if args.choice:
        if not args.context:
            return None, None, "give --context with --choice"
        return {"context": args.context, "choices": [list(args.choice)] * len(args.context)}, args.context, None
    if not args.text:
        return None, None, "give --text (or --question/--context, or --context/--choice)"
    inputs = {"text": args.text}
    if args.text_b:
        if len(args.text_b) != len(args.text):
            return None, None, "give one --text-b per --text"
        inputs["text_b"] = args.text_b
    return inputs, args.text, None
