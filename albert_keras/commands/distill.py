"""`albert distill`: trains a small ALBERT student from a larger teacher."""

import argparse
import os
import sys

from albert_keras import logs
from albert_keras.config import ConfigError, ModelConfig, PretrainConfig, from_dict, load, to_yaml
from albert_keras.config.loader import read_yaml
from albert_keras.data.errors import DataError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `distill` subcommand."""
    p = subparsers.add_parser(
        "distill",
        help="distill a teacher pretrainer into a smaller student",
        description="Cross-layer knowledge distillation: soft-target KL on the MLM logits, the hard MLM + SOP "
        "losses, and student-layer → teacher-layer hidden-state MSE. Same run dir layout as `albert pretrain`; "
        "the student is written to RUN_DIR/model with the teacher's vocabulary.",
    )
    p.add_argument("--teacher", required=True, metavar="MODEL_DIR", help="a pretrainer model directory")
    p.add_argument("--student", required=True, metavar="PRESET_OR_CONFIG",
                   help="a preset name, a model dir, or a YAML file with `init` and `overrides` (model section)")
    p.add_argument("--config", required=True, metavar="YAML", help="e.g. configs/distill/tiny_cpu.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override a config value, e.g. --set distill.temperature=4 (repeatable)")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved config (the file with every --set applied) as YAML and exit")
    p.add_argument("--fresh", action="store_true", help="delete the run's checkpoints and start from step 0")
    p.set_defaults(func=run)


def student_overrides(student: str) -> list[str]:
    """`--set` lines for the model section from a preset, a model dir or a YAML file (a `model` section)."""
    if student.endswith((".yaml", ".yml")):
        model = from_dict(ModelConfig, read_yaml(student), source=student)
        lines = [f"model.init={model.init}"]
        lines += [f"model.overrides.{k}={v}" for k, v in model.overrides.items()]
        return lines
    return [f"model.init={student}"]


def run(args: argparse.Namespace) -> int:
    """Runs distillation; returns the exit code (2 on a bad config or data)."""

    try:
        overrides = [f"distill.teacher={args.teacher}"] + student_overrides(args.student) + list(args.overrides)
        config = load(PretrainConfig, args.config, overrides)
    except (ConfigError, ValueError, FileNotFoundError) as e:
        print(f"albert distill: config error: {e}", file=sys.stderr)
        return 2
    if args.print_config:
        print(to_yaml(config), end="")
        return 0
    logs.move_to(os.path.join(config.training.run_dir, "albert.log"))
    # Imported when the command runs, not at `albert --help`: it loads TensorFlow.
    from albert_keras.training.pretrain import run_pretraining

    try:
        result = run_pretraining(config, fresh=args.fresh)
    except (ConfigError, DataError, FileNotFoundError, ValueError) as e:
        print(f"albert distill: error: {e}", file=sys.stderr)
        return 2
    print(f"distillation done: steps {result.start_step} -> {result.final_step}; student {result.model_dir}")
    teacher = result.metrics.get("distill", {}).get("teacher_eval")
    if teacher:
        print(f"teacher held-out mlm_accuracy {teacher['mlm_accuracy']:.4f}")
    if "eval" in result.metrics:
        print(f"student held-out mlm_accuracy {result.metrics['eval']['mlm_accuracy']:.4f}")
    return 0
