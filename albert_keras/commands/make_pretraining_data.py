"""`albert make-pretraining-data`: corpus files to pretraining TFRecords."""

import argparse
import sys
import time

from albert_keras.data import corpus
from albert_keras.data.errors import DataError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `make-pretraining-data` subcommand."""
    p = subparsers.add_parser(
        "make-pretraining-data",
        help="write SOP + n-gram MLM pretraining TFRecords",
        description="Split documents into sentences, make sentence-order pairs and write "
        "tf.Examples: masked (static, the original feature names) or, with --dynamic, "
        "unmasked sequences with word-start flags to be masked at training time.",
    )
    p.add_argument("--input", nargs="+", required=True, metavar="FILE", help="corpus files")
    p.add_argument("--format", default="auto", choices=corpus.FORMATS, help="corpus format (default: auto)")
    p.add_argument("--spm", required=True, metavar="MODEL",
                   help="the vocabulary: spiece.model, a WordPiece vocab.txt or a vocab/model dir")
    p.add_argument("--output", required=True, metavar="OUT.tfrecord")
    p.add_argument("--max-seq-length", type=int, default=128)
    p.add_argument("--max-predictions", type=int, default=20)
    p.add_argument("--dupe-factor", type=int, default=1)
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--masked-lm-prob", type=float, default=0.15)
    p.add_argument("--short-seq-prob", type=float, default=0.1)
    p.add_argument("--max-ngram", type=int, default=3)
    p.add_argument("--favor-longer-ngram", action="store_true", help="p(n) ∝ 1/(max_ngram+1-n)")
    p.add_argument("--dynamic", action="store_true", help="write unmasked sequences + word starts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Writes the records; returns the exit code (2 on a bad corpus file)."""
    # Imported when the command runs, not at `albert --help`: they load TensorFlow.
    from albert_keras.data.pretraining_records import write_pretraining_records
    from albert_keras.tokenizer.loading import load_encoder

    start = time.time()
    encoder = load_encoder(args.spm)
    try:
        documents = corpus.read_corpus(args.input, args.format)
    except DataError as e:
        print(f"albert make-pretraining-data: error: {e}", file=sys.stderr)
        return 2
    print(f"read {len(documents)} documents from {len(args.input)} files", file=sys.stderr, flush=True)
    stats = write_pretraining_records(
        documents,
        encoder,
        args.output,
        max_seq_length=args.max_seq_length,
        max_predictions=args.max_predictions,
        dupe_factor=args.dupe_factor,
        seed=args.seed,
        dynamic=args.dynamic,
        masked_lm_prob=args.masked_lm_prob,
        short_seq_prob=args.short_seq_prob,
        max_ngram=args.max_ngram,
        favor_shorter_ngram=not args.favor_longer_ngram,
    )
    mode = "dynamic (unmasked)" if args.dynamic else "static (masked)"
    print(
        f"wrote {stats.examples} {mode} examples to {args.output} in {time.time() - start:.1f}s; "
        f"{stats.swapped} swapped (SOP label 1); "
        f"skipped {stats.skipped_documents} documents with fewer than 2 sentences "
        f"and {stats.skipped_chunks} single-sentence chunks"
        + ("" if args.dynamic else f"; {stats.masked_tokens} masked tokens"),
        flush=True,
    )
    return 0
