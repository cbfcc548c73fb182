"""Subcommands of the `albert` CLI, one module each (see `albert_keras.cli`)."""
