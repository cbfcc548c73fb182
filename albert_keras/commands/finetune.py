"""`albert finetune`: fine-tunes a task model from a YAML config (see docs/training.md)."""

import argparse
import os
import sys

from albert_keras import logs
from albert_keras.config import TASKS, ConfigError, FinetuneConfig, load, to_yaml
from albert_keras.data.errors import DataError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `finetune` subcommand."""
    p = subparsers.add_parser(
        "finetune",
        help="fine-tune ALBERT on a task from a config",
        description="Fine-tune a classifier, regressor, token classifier, SQuAD reader or multiple-choice "
        "model from a pretrained model dir (or a preset, randomly initialized). Writes RUN_DIR/model "
        "and RUN_DIR/metrics.json; re-running resumes.",
    )
    p.add_argument("--task", choices=TASKS, help="the task (overrides task.name of the config)")
    p.add_argument("--config", required=True, metavar="YAML", help="e.g. configs/finetune/classification.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override a config value, e.g. --set model.init=runs/tiny_cpu/model (repeatable)")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved config (the file with every --set applied) as YAML and exit")
    p.add_argument("--fresh", action="store_true", help="delete the run's checkpoints and start from step 0")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Runs fine-tuning; returns the exit code (2 on a bad config or data)."""

    overrides = list(args.overrides)
    if args.task:
        overrides.append(f"task.name={args.task}")
    try:
        config = load(FinetuneConfig, args.config, overrides)
    except ConfigError as e:
        print(f"albert finetune: config error: {e}", file=sys.stderr)
        return 2
    if args.print_config:
        print(to_yaml(config), end="")
        return 0
    logs.move_to(os.path.join(config.training.run_dir, "albert.log"))
    # Imported when the command runs, not at `albert --help`: it loads TensorFlow.
    from albert_keras.training.finetune import run_finetuning

    try:
        result = run_finetuning(config, fresh=args.fresh)
    except (ConfigError, DataError, FileNotFoundError) as e:
        print(f"albert finetune: error: {e}", file=sys.stderr)
        return 2
    print(f"fine-tuning done: steps {result.start_step} -> {result.final_step}; model {result.model_dir}")
    if "eval" in result.metrics:
        shown = " ".join(f"{k} {v:.4f}" for k, v in result.metrics["eval"].items() if isinstance(v, float))
        print(f"eval: {shown}")
    return 0
