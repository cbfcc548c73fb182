"""`albert convert`: a checkpoint by handle, or original/brightmart TF1, HF and KerasHub weights, in; HF and
KerasHub out."""

import argparse
import logging
import os
import shutil
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `convert` subcommand."""
    p = subparsers.add_parser(
        "convert",
        help="convert original or brightmart TF1 / HF / KerasHub ALBERT weights to a model directory, "
        "or export to HF / KerasHub",
        description="Convert pretrained ALBERT weights. "
        "`HANDLE --output DIR` (a registry name, hf://, kaggle://, http(s)://, gs:// or a local checkpoint "
        "directory or archive; downloaded and converted through the cache, as `albert download`); "
        "`--from google --checkpoint PREFIX --config albert_config.json [--spm MODEL] --output DIR`; "
        "`--from brightmart --checkpoint PREFIX --config albert_config_tiny.json [--vocab vocab.txt] --output DIR`; "
        "`--from hf --input HF_DIR --output DIR`; `--to hf --input DIR --output HF_DIR`; "
        "`--from keras_hub --input PRESET_DIR --output DIR`; `--to keras_hub --input DIR --output PRESET_DIR`. "
        "Every variable is mapped and every shape checked; any unmapped, missing or misshapen "
        "variable fails the conversion with its name.",
    )
    p.add_argument("handle", nargs="?", help="a checkpoint handle (instead of --from/--to)")
    direction = p.add_mutually_exclusive_group()
    direction.add_argument("--from", dest="source", choices=("google", "brightmart", "hf", "keras_hub"),
                           help="convert into a model directory")
    direction.add_argument("--to", dest="target", choices=("hf", "keras_hub"), help="export a model directory")
    p.add_argument("--checkpoint", metavar="PREFIX", help="TF1 checkpoint prefix (--from google/brightmart)")
    p.add_argument("--config", metavar="JSON", help="albert_config*.json (--from google/brightmart)")
    p.add_argument("--spm", metavar="MODEL", help="SentencePiece model, e.g. 30k-clean.model (--from google)")
    p.add_argument("--vocab", metavar="TXT", help="WordPiece vocab.txt of the zh checkpoints (copied into DIR)")
    p.add_argument("--cased", action="store_true",
                   help="the vocabulary is cased (--from google/brightmart; default uncased)")
    p.add_argument("--input", metavar="DIR",
                   help="HF directory (--from hf), KerasHub preset (--from keras_hub) or model directory (--to ...)")
    p.add_argument("--output", required=True, metavar="DIR")
    p.add_argument("--allow-random-init", action="store_true",
                   help="leave a missing pooler/MLM/SOP head at random init (named in a warning)")
    p.add_argument("--backbone-only", action="store_true", help="drop the MLM/SOP heads, write an AlbertBackbone")
    p.add_argument("--lowercase", action="store_true",
                   help="the tokenizer lowercases (--from keras_hub; default: no, like KerasHub's AlbertTokenizer)")
    p.add_argument("--strip-accents", action="store_true",
                   help="the tokenizer strips accents (--from keras_hub; default: no, like KerasHub's AlbertTokenizer)")
    p.set_defaults(func=run)


def _require(args, *names):
    missing = [f"--{n.replace('_', '-')}" for n in names if not getattr(args, n)]
    if missing:
        print(f"albert convert: this direction needs {' '.join(missing)}", file=sys.stderr)
        return False
    return True


def run(args: argparse.Namespace) -> int:
    """Runs the conversion; returns the exit code (1 on a refused conversion)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # Imported when the command runs, not at `albert --help`: they load TensorFlow.
    from albert_keras import convert

    start = time.time()
    if (args.handle is None) == (args.source is None and args.target is None):
        print("albert convert: give either a HANDLE or one of --from/--to", file=sys.stderr)
        return 2
    if args.handle is not None:
        explicit = [f"--{n.replace('_', '-')}" for n in ("checkpoint", "config", "spm", "vocab", "input", "cased",
                                                         "allow_random_init", "backbone_only", "lowercase",
                                                         "strip_accents") if getattr(args, n)]
        if explicit:
            print(f"albert convert: {' '.join(explicit)} apply to --from/--to, not to a HANDLE", file=sys.stderr)
            return 2
        return _convert_handle(args, start)
    try:
        if args.source == "google":
            if not _require(args, "checkpoint", "config"):
                return 2
            model = convert.from_google_checkpoint(
                args.checkpoint,
                args.config,
                output=args.output,
                spm=args.spm,
                vocab=args.vocab,
                lowercase=not args.cased,
                allow_random_init=args.allow_random_init,
                backbone_only=args.backbone_only,
            )
        elif args.source == "brightmart":
            if not _require(args, "checkpoint", "config"):
                return 2
            model = convert.from_brightmart(
                args.checkpoint,
                args.config,
                output=args.output,
                vocab=args.vocab,
                lowercase=not args.cased,
                allow_random_init=args.allow_random_init,
                backbone_only=args.backbone_only,
            )
        elif args.source == "hf":
            if not _require(args, "input"):
                return 2
            model = convert.from_hf(
                args.input, output=args.output, allow_random_init=args.allow_random_init,
                backbone_only=args.backbone_only,
            )
        elif args.source == "keras_hub":
            if not _require(args, "input"):
                return 2
            model = convert.from_keras_hub(
                args.input, output=args.output, lowercase=args.lowercase or None,
                strip_accents=args.strip_accents or None,
            )
        elif args.target == "keras_hub":
            if not _require(args, "input"):
                return 2
            convert.to_keras_hub(args.input, args.output)
            print(f"wrote KerasHub preset {args.output} in {time.time() - start:.1f}s", file=sys.stderr)
            return 0
        else:
            if not _require(args, "input"):
                return 2
            convert.to_hf(args.input, args.output)
            print(f"wrote HF directory {args.output} in {time.time() - start:.1f}s", file=sys.stderr)
            return 0
    except (ValueError, FileNotFoundError) as e:
        print(f"albert convert: {e}", file=sys.stderr)
        return 1
    print(f"wrote {type(model).__name__} model directory {args.output} in {time.time() - start:.1f}s", file=sys.stderr)
    return 0


def _convert_handle(args, start):
    # Imported when the command runs, not at `albert --help`: it loads TensorFlow.
    from albert_keras import hub

    try:
        cached = hub.resolve(args.handle)
    except hub.HubError as e:
        print(f"albert convert: {e}", file=sys.stderr)
        return 1
    if os.path.abspath(cached) != os.path.abspath(args.output):
        shutil.copytree(cached, args.output, dirs_exist_ok=True)
    print(f"wrote model directory {args.output} (cached as {cached}) in {time.time() - start:.1f}s", file=sys.stderr)
    return 0
