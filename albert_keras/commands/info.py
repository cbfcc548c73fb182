"""`albert info`: versions and the preset table."""

import argparse
import importlib.metadata

from albert_keras.presets import PRESETS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="print versions and the preset table")
    parser.add_argument("--count", action="store_true", help="build each preset and count its parameters")
    parser.set_defaults(func=run)


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def run(args: argparse.Namespace) -> int:
    print("albert-keras", _version("albert-keras"))
    for dist in ("tensorflow", "keras", "tensorflow-text", "sentencepiece", "tfx", "tensorflow-serving-api"):
        print(f"  {dist:24s} {_version(dist)}")
    print()
    header = f"{'preset':20s} {'layers':>6s} {'heads':>5s} {'E':>5s} {'H':>5s} {'params':>13s}"
    if args.count:
        header += f" {'built':>13s}"
    print(header)
    for name, preset in PRESETS.items():
        c = preset["config"]
        line = (
            f"{name:20s} {c['num_layers']:6d} {c['num_heads']:5d} {c['embedding_dim']:5d} "
            f"{c['hidden_dim']:5d} {preset['params']:13,d}"
        )
        if args.count:
            from albert_keras.models.backbone import AlbertBackbone  # loads TensorFlow: only with --count

            line += f" {AlbertBackbone(**c).count_params():13,d}"
        print(line)
    return 0
