"""`albert export`: a model directory to a TF Serving SavedModel."""

import argparse
import json
import os
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `export` subcommand."""
    p = subparsers.add_parser(
        "export",
        help="export a model directory as a TF Serving SavedModel",
        description="Export a model directory (pretrainer, classifier, ...) as a SavedModel with "
        "in-graph tokenization (SentencePiece or WordPiece, as DIR has) and the signatures fill_mask / "
        "classify / embed / "
        "serving_default, plus assets, TF Serving warmup requests and a full .keras model. "
        "The ops are checked against what stock TF Serving has (TF core + TF Text 2.12.1).",
    )
    p.add_argument("--model", required=True, metavar="DIR", help="model directory")
    p.add_argument("--output", required=True, metavar="BASE/VERSION",
                   help="SavedModel directory, a numeric version under the model base path")
    p.add_argument("--top-k", type=int, default=5, metavar="K", help="fill_mask candidates per mask (default 5)")
    p.add_argument("--sequence-length", type=int, default=None, metavar="N",
                   help="packed length; longer input is truncated (default: the model's max_sequence_length)")
    p.add_argument("--spm", default=None, metavar="FILE",
                   help="vocabulary: spiece.model, vocab.txt or a vocab dir (default: DIR's)")
    p.add_argument("--keras-output", default=None, metavar="PATH",
                   help="where to write the .keras model (default: OUTPUT/assets.extra/model.keras)")
    p.add_argument("--no-keras", action="store_true", help="do not write a .keras model")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty OUTPUT")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exports and checks the SavedModel; returns the exit code."""
    # Imported when the command runs, not at `albert --help`: they load TensorFlow.
    from albert_keras.export import export_saved_model

    start = time.time()
    if not os.path.isdir(args.model):
        print(f"albert export: {args.model!r} is not a model directory", file=sys.stderr)
        return 2
    version = os.path.basename(os.path.normpath(args.output))
    if not version.isdigit():
        print(f"albert export: note: TF Serving only loads numeric version dirs, not {version!r}", file=sys.stderr)
    keras_output = False if args.no_keras else (args.keras_output or "default")
    try:
        out = export_saved_model(
            args.model,
            args.output,
            spm_path=args.spm,
            top_k=args.top_k,
            sequence_length=args.sequence_length,
            keras_output=keras_output,
            overwrite=args.overwrite,
        )
    except (ValueError, FileNotFoundError) as e:
        print(f"albert export: {e}", file=sys.stderr)
        return 1
    with open(os.path.join(out, "assets.extra", "export.json"), encoding="utf-8") as f:
        info = json.load(f)
    print(
        f"albert export: wrote {out} ({info['task']}, signatures {', '.join(info['signatures'])}, "
        f"T={info['sequence_length']}, K={info['top_k']}) in {time.time() - start:.1f}s"
    )
    return 0
