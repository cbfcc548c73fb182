"""The `albert` command line.

Subcommands are modules: each module in `albert_keras.commands` and each
entry point in the `albert_keras.commands` group (how `pipeline/` and
`serving/` add theirs without `albert_keras` importing them) defines
`register(subparsers)`, which adds one subparser whose `func` runs it.
"""

import argparse
import importlib
import importlib.metadata
import pkgutil
import sys

from albert_keras import commands


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        yield importlib.import_module(f"albert_keras.commands.{info.name}")
    for ep in importlib.metadata.entry_points(group="albert_keras.commands"):
        yield ep.load()


def build_parser():
    """Returns the `argparse` parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="albert", description="ALBERT in Keras 3: data, training, export and serving."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv=None):
    """Runs the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
