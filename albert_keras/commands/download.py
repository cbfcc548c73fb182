"""`albert download HANDLE`: fetch, verify and convert a released checkpoint into the cache."""

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `download` subcommand."""
    p = subparsers.add_parser(
        "download",
        help="download and convert a checkpoint by handle; prints the cached model directory",
        description="Download a checkpoint (a registry name such as albert_base_v2 or albert_base_zh, "
        "hf://OWNER/REPO[@REV], kaggle://..., an http(s):// or gs:// archive, or a local directory or archive) "
        "into $ALBERT_KERAS_HOME (default ~/.cache/albert_keras), verify it, convert it once, and print the "
        "model directory. ALBERT_KERAS_OFFLINE=1 uses only the cache.",
    )
    p.add_argument("handle", nargs="?", help="registry name, hf://, kaggle://, http(s)://, gs:// or a local path")
    p.add_argument("--force", action="store_true", help="download and convert again even when cached")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--list", action="store_true", help="list the registry names and exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Prints the converted model directory; returns 1 on a `HubError`."""
    # Imported when the command runs, not at `albert --help`: it loads TensorFlow.
    from albert_keras import hub

    if args.list:
        for name, entry in sorted(hub.REGISTRY.items()):
            print(f"{name:20s} {entry['format']:14s} {entry['description']}")
        return 0
    if args.handle is None:
        print("albert download: give a HANDLE (or --list)", file=sys.stderr)
        return 2
    try:
        path = hub.resolve(args.handle, force=args.force, quiet=args.quiet)
    except hub.HubError as e:
        print(f"albert download: {e}", file=sys.stderr)
        return 1
    print(path)
    return 0
