"""`albert` subcommands contributed by the `pipeline` package.

    albert pipeline run CONFIG [--set KEY=VALUE ...] [--in-memory] [--beam-arg ARG ...]
    albert pipeline compile CONFIG [--set KEY=VALUE ...] --runner kubeflow_v2 --output FILE
    albert pipeline config CONFIG [--set KEY=VALUE ...] [--output FILE]

The config is loaded and checked (inputs included) before TFX is imported,
so a bad config or a missing input fails at once with a clear message.
`--set trainer.train_steps=50` overrides a value (parsed as YAML, checked
like the file); `albert pipeline config` prints the resolved config, the
file with every `--set` applied and every default filled in, as YAML
(`--output` writes it to a file that loads back to the same config).
"""

import argparse
import os
import sys

from albert_keras import logs
from albert_keras.config import ConfigError
from pipeline.config import dump_config, load_config


def _add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="pipeline config YAML (configs/pipeline/*.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a config value, e.g. --set trainer.train_steps=50 (repeatable)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `pipeline` subcommand to the `albert` CLI."""
    parser = subparsers.add_parser("pipeline", help="run or compile the TFX pipelines")
    sub = parser.add_subparsers(dest="pipeline_command", required=True)

    run = sub.add_parser("run", help="run a pipeline config locally (LocalDagRunner)")
    _add_config_args(run)
    run.add_argument("--in-memory", action="store_true",
                     help="Beam DirectRunner in-memory mode instead of multi-processing")
    run.add_argument("--beam-arg", action="append", default=[], metavar="ARG",
                     help="extra Beam pipeline arg, e.g. --beam-arg=--runner=FlinkRunner (repeatable)")
    run.set_defaults(func=_run)

    comp = sub.add_parser("compile", help="compile a pipeline config for an orchestrator")
    _add_config_args(comp)
    comp.add_argument("--runner", choices=["kubeflow_v2"], required=True, help="target orchestrator")
    comp.add_argument("--output", required=True, help="the pipeline JSON file to write")
    comp.set_defaults(func=_compile)

    show = sub.add_parser("config", help="print the resolved config (defaults filled in, --set applied) as YAML")
    _add_config_args(show)
    show.add_argument("--output", help="write the YAML to this file instead of printing it")
    show.set_defaults(func=_show)


def _load(args):
    try:
        return load_config(args.config, args.overrides)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return None


def _run(args) -> int:
    config = _load(args)
    if config is None:
        return 2
    logs.move_to(os.path.join(config.pipeline.root, "logs", "pipeline.log"))
    from pipeline.local_runner import run  # imports TFX (slow)

    seconds = run(config, in_memory=args.in_memory, beam_args=args.beam_arg)
    p = config.pipeline
    print(f"pipeline {p.name} finished in {seconds:.1f} s (root {p.root}, pushed to {p.serving_dir})")
    if logs.log_file():
        print(f"log: {logs.log_file()}")
    return 0


def _compile(args) -> int:
    config = _load(args)
    if config is None:
        return 2
    from pipeline.kubeflow_v2_runner import compile_pipeline  # imports TFX (slow)

    print(compile_pipeline(config, args.output))
    return 0


def _show(args) -> int:
    config = _load(args)
    if config is None:
        return 2
    text = dump_config(config)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
        print(args.output)
    else:
        print(text, end="")
    return 0
