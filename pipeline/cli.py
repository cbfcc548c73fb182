"""`albert` subcommands contributed by the `pipeline` package.

    albert pipeline run CONFIG [--in-memory] [--beam-arg ARG ...]
    albert pipeline compile CONFIG --runner kubeflow_v2 --output FILE

The config is loaded and checked (inputs included) before TFX is imported,
so a bad config or a missing input fails at once with a clear message.
"""

import os
import sys

from albert_keras import logs


def register(subparsers):
    """Adds the `pipeline` subcommand to the `albert` CLI."""
    parser = subparsers.add_parser("pipeline", help="run or compile the TFX pipelines")
    sub = parser.add_subparsers(dest="pipeline_command", required=True)

    run = sub.add_parser("run", help="run a pipeline config locally (LocalDagRunner)")
    run.add_argument("config", help="pipeline config YAML (configs/pipeline/*.yaml)")
    run.add_argument("--in-memory", action="store_true",
                     help="Beam DirectRunner in-memory mode instead of multi-processing")
    run.add_argument("--beam-arg", action="append", default=[], metavar="ARG",
                     help="extra Beam pipeline arg, e.g. --beam-arg=--runner=FlinkRunner (repeatable)")
    run.set_defaults(func=_run)

    comp = sub.add_parser("compile", help="compile a pipeline config for an orchestrator")
    comp.add_argument("config", help="pipeline config YAML")
    comp.add_argument("--runner", choices=["kubeflow_v2"], required=True, help="target orchestrator")
    comp.add_argument("--output", required=True, help="the pipeline JSON file to write")
    comp.set_defaults(func=_compile)


def _load(path):
    from pipeline.config import PipelineConfigError, load_config

    try:
        return load_config(path)
    except PipelineConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return None


def _run(args):
    config = _load(args.config)
    if config is None:
        return 2
    logs.move_to(os.path.join(config["pipeline"]["root"], "logs", "pipeline.log"))
    from pipeline.local_runner import run

    seconds = run(config, in_memory=args.in_memory, beam_args=args.beam_arg)
    print(f"pipeline {config['pipeline']['name']} finished in {seconds:.1f} s "
          f"(root {config['pipeline']['root']}, pushed to {config['pipeline']['serving_dir']})")
    if logs.log_file():
        print(f"log: {logs.log_file()}")
    return 0


def _compile(args):
    config = _load(args.config)
    if config is None:
        return 2
    from pipeline.kubeflow_v2_runner import compile_pipeline

    print(compile_pipeline(config, args.output))
    return 0
