"""`albert` subcommands contributed by the `pipeline` package."""


def register(subparsers):
    """Adds this package's subcommands to the `albert` CLI."""
