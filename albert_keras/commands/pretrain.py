"""`albert pretrain`: MLM + SOP pretraining from a YAML config (see docs/training.md)."""

import argparse
import os
import sys

from albert_keras import logs
from albert_keras.config import ConfigError, PretrainConfig, load, to_yaml
from albert_keras.data.errors import DataError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `pretrain` subcommand."""
    p = subparsers.add_parser(
        "pretrain",
        help="pretrain ALBERT (MLM + SOP) from a config",
        description="Pretrain AlbertPretrainer. Writes RUN_DIR with checkpoints/, logs/ (TensorBoard), "
        "history.jsonl, training_curves.png, metrics.json and model/ (a model dir with the vocabulary). "
        "Re-running the same command resumes from the latest checkpoint.",
    )
    p.add_argument("--config", required=True, metavar="YAML", help="e.g. configs/pretrain/tiny_cpu.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override a config value, e.g. --set training.train_steps=200 (repeatable)")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved config (the file with every --set applied) as YAML and exit")
    p.add_argument("--fresh", action="store_true", help="delete the run's checkpoints and start from step 0")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Runs pretraining; returns the exit code (2 on a bad config or data)."""

    try:
        config = load(PretrainConfig, args.config, args.overrides)
    except ConfigError as e:
        print(f"albert pretrain: config error: {e}", file=sys.stderr)
        return 2
    if args.print_config:
        print(to_yaml(config), end="")
        return 0
    logs.move_to(os.path.join(config.training.run_dir, "albert.log"))
    # Imported when the command runs, not at `albert --help`: it loads TensorFlow.
    from albert_keras.training.pretrain import run_pretraining

    try:
        result = run_pretraining(config, fresh=args.fresh)
    except (ConfigError, DataError, FileNotFoundError) as e:
        print(f"albert pretrain: error: {e}", file=sys.stderr)
        return 2
    print(f"pretraining done: steps {result.start_step} -> {result.final_step}; run dir {result.run_dir}; "
          f"model {result.model_dir}")
    if "eval" in result.metrics:
        ev = result.metrics["eval"]
        print(f"held-out: mlm_accuracy {ev['mlm_accuracy']:.4f} sop_accuracy {ev['sop_accuracy']:.4f} "
              f"perplexity {ev['perplexity']:.1f}")
    return 0
