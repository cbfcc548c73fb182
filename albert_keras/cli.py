"""The `albert` command line.

Subcommands are modules: each module in `albert_keras.commands` and each
entry point in the `albert_keras.commands` group (how `pipeline/` and
`serving/` add theirs without `albert_keras` importing them) defines
`register(subparsers)`, which adds one subparser whose `func` runs it.

Output is quiet by default: TensorFlow, absl, Beam, TFX and google-api
messages, Python warnings and child processes' output go to a log file
(`--log-file`, by default `runs/logs/albert-COMMAND.log`, moved into the run
dir by the commands that have one); `--verbose` shows them on the console too.
See `albert_keras.logs`.
"""

import argparse
import importlib
import importlib.metadata
import os
import pkgutil
import sys

from albert_keras import commands, logs

LOG_DIR_ENV = "ALBERT_LOG_DIR"  # where the default log files go (default runs/logs)


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        yield importlib.import_module(f"albert_keras.commands.{info.name}")
    for ep in importlib.metadata.entry_points(group="albert_keras.commands"):
        yield ep.load()


def build_parser() -> argparse.ArgumentParser:
    """Returns the `argparse` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="albert", description="ALBERT in Keras 3: data, training, export and serving."
    )
    parser.add_argument("--verbose", action="store_true",
                        help="also show TensorFlow/absl/Beam/TFX/google-api messages and warnings on the console")
    parser.add_argument("--log-file", metavar="PATH",
                        help=f"where those messages go (default: ${LOG_DIR_ENV} or runs/logs, "
                        "albert-COMMAND.log; commands with a run dir move it there)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs the CLI; returns the process exit code.

    Args:
        argv: the arguments; `None` for the command line (`sys.argv[1:]`),
            which is also the only case that sets up the quiet console and the
            log file (`albert_keras.logs`): a caller passing `argv` (a test, a
            script) keeps its own logging and streams.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if argv is not None:
        return int(args.func(args) or 0)
    log_file = args.log_file or os.path.join(os.environ.get(LOG_DIR_ENV, "runs/logs"), f"albert-{args.command}.log")
    logs.setup(log_file, verbose=args.verbose, pinned=args.log_file is not None)
    code = int(args.func(args) or 0)
    if code and not args.verbose:
        print(f"(full log: {logs.log_file()})", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
