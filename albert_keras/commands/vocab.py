"""`albert vocab`: trains the vocabulary (SentencePiece or WordPiece) on corpus files."""

import argparse
import sys
import time

from albert_keras.data import corpus
from albert_keras.data.errors import DataError

KINDS = ("sentencepiece", "wordpiece")  # albert_keras.tokenizer.loading.KINDS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the `vocab` subcommand."""
    p = subparsers.add_parser(
        "vocab",
        help="train the vocabulary (SentencePiece or WordPiece)",
        description="Train an ALBERT vocabulary. --kind sentencepiece (default): a SentencePiece unigram "
        "model (<pad>=0 <unk>=1 [CLS]=2 [SEP]=3 [MASK]=4), written as DIR/spiece.model, DIR/spiece.vocab "
        "and DIR/tokenizer.json. --kind wordpiece: a BERT WordPiece vocabulary ([PAD]=0 [UNK]=1 [CLS]=2 "
        "[SEP]=3 [MASK]=4, continuation pieces '##...'), written as DIR/vocab.txt and DIR/tokenizer.json. "
        "Every command that takes a vocabulary or model dir reads either kind.",
    )
    p.add_argument("--input", nargs="+", required=True, metavar="FILE", help="corpus files")
    p.add_argument("--format", default="auto", choices=corpus.FORMATS, help="corpus format (default: auto)")
    p.add_argument("--kind", default="sentencepiece", choices=KINDS, help="the tokenizer (default: sentencepiece)")
    p.add_argument("--vocab-size", type=int, required=True, metavar="N")
    p.add_argument("--output", required=True, metavar="DIR")
    p.add_argument("--lowercase", action="store_true", help="lowercase text (uncased model)")
    p.add_argument("--keep-accents", action="store_true", help="do not strip accents")
    p.add_argument("--character-coverage", type=float, default=0.9995, metavar="C", help="SentencePiece only")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="SentencePiece only (WordPiece is deterministic)")
    p.add_argument("--threads", type=int, default=1, help="training threads (SentencePiece only)")
    p.add_argument("--verbose", action="store_true", help="show SentencePiece's own log")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Trains and writes the vocabulary; returns the exit code (2 on a bad corpus file)."""
    from albert_keras.tokenizer import vocab  # imports TensorFlow: only when run

    start = time.time()
    documents = []
    for path in args.input:
        try:
            docs = corpus.read_documents(path, args.format)
        except DataError as e:
            print(f"albert vocab: error: {e}", file=sys.stderr)
            return 2
        vocab.log(f"read {len(docs)} documents from {path}")
        documents.extend(docs)
    lowercase, strip_accents = bool(args.lowercase), not args.keep_accents
    if args.kind == "wordpiece":
        from albert_keras.tokenizer import wordpiece_vocab

        vocab.log(f"training a {args.vocab_size}-token WordPiece vocabulary on {len(documents)} documents ...")
        tokens = wordpiece_vocab.train_wordpiece(
            documents, args.vocab_size, lowercase=lowercase, strip_accents=strip_accents
        )
        path = wordpiece_vocab.write_wordpiece_vocab(
            args.output, tokens, lowercase=lowercase, strip_accents=strip_accents
        )
        vocab.log(f"wrote {path} ({len(tokens)} tokens) in {time.time() - start:.1f}s")
        return 0
    vocab.log(f"training a {args.vocab_size}-piece unigram model on {len(documents)} documents ...")
    options = {
        "lowercase": lowercase,
        "strip_accents": strip_accents,
        "character_coverage": args.character_coverage,
        "seed": args.seed,
    }
    proto = vocab.train_sentencepiece(
        documents,
        args.vocab_size,
        lowercase=options["lowercase"],
        strip_accents=options["strip_accents"],
        character_coverage=args.character_coverage,
        seed=args.seed,
        num_threads=args.threads,
        verbose=args.verbose,
    )
    vocab.write_vocab_dir(args.output, proto, options)
    vocab.log(f"wrote {args.output}/{vocab.MODEL_FILE} ({len(proto)} bytes) in {time.time() - start:.1f}s")
    return 0
