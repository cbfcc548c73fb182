"""Compares the ids of AlbertTokenizer's two SentencePiece paths on ../shared/data.

Every text of the shared data (fortunes, the zh poems and prose, the zh
reviews, the MSRA NER sentences) is tokenized by `AlbertTokenizer` with
``implementation="standard"`` (`SentencepieceTokenizeOp`), with
``implementation="fast"`` (`TFText>FastSentencepieceTokenize`) and by the
Python reference `SentencePieceEncoder`, raw (the layer normalizes) and with
the literal ``[CLS]``/``[MASK]``/``[SEP]`` put in (start, middle, end). The
script prints, per source, the number of texts and of texts whose ids differ
between each two of the three, and how many of the fast/standard differences
are exact score ties (both id lists decode to the same text and their piece
scores sum to the same value within 1e-4).

    .venv/bin/python bench/spm_parity.py [--vocab DIR ...] [--data ../shared/data] [--limit N]

Without --vocab it checks the committed tests/data/spm model and an
8000-piece vocabulary trained on the bundled corpus (as bench/input_pipeline.py).
"""

import argparse
import csv
import glob
import os
import sys
import tempfile
import time

import tensorflow as tf

from albert_keras.data import corpus
from albert_keras.tokenizer import vocab
from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shared_texts(data_dir):
    """Returns {source: [text, ...]} for every text of the shared data."""
    out = {}
    for name in ("fortunes", "zh"):
        texts = []
        for path in sorted(glob.glob(os.path.join(data_dir, name, "*.txt"))):
            texts += [t for t in open(path, encoding="utf-8").read().split("\n%\n") if t.strip()]
        out[name] = texts
    reviews = []
    for path in sorted(glob.glob(os.path.join(data_dir, "zh_reviews", "*.csv"))):
        with open(path, encoding="utf-8", newline="") as f:
            reviews += [row["review"] for row in csv.DictReader(f) if row["review"]]
    out["zh_reviews"] = reviews
    sentences, current = [], []
    for line in open(os.path.join(data_dir, "zh_ner", "msra_char_bio.txt"), encoding="utf-8"):
        if line.strip():
            current.append(line.split("\t")[0])
        elif current:
            sentences.append("".join(current))
            current = []
    if current:
        sentences.append("".join(current))
    out["zh_ner"] = sentences
    return out


def with_specials(text):
    """`text` with [CLS] first, [MASK] in the middle (glued to the text) and [SEP] last."""
    mid = len(text) // 2
    return "[CLS]" + text[:mid] + "[MASK]" + text[mid:] + " [SEP]"


def layer_ids(tokenizer, texts, batch=1024):
    fn = tf.function(tokenizer.tokenize, input_signature=[tf.TensorSpec([None], tf.string)])
    out = []
    for i in range(0, len(texts), batch):
        out += fn(tf.constant(texts[i : i + batch])).to_list()
    return out


def is_tie(encoder, a, b):
    sp = encoder.sp
    score = lambda ids: sum(sp.get_score(i) for i in ids)  # noqa: E731
    return encoder.decode(a) == encoder.decode(b) and abs(score(a) - score(b)) < 1e-4


def check(vocab_dir, sources):
    fast = AlbertTokenizer(vocab_dir, implementation="fast")
    standard = AlbertTokenizer(vocab_dir, implementation="standard")
    encoder = SentencePieceEncoder(vocab_dir)
    print(f"vocabulary {vocab_dir} ({encoder.vocabulary_size()} pieces)")
    print("| source | texts | ids | fast ≠ standard | of which ties | fast ≠ python | standard ≠ python |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    totals = [0] * 6
    for name, texts in sources.items():
        for label, batch in ((name, texts), (name + " + [CLS]/[MASK]/[SEP]", [with_specials(t) for t in texts])):
            f, s = layer_ids(fast, batch), layer_ids(standard, batch)
            p = [encoder.encode(t) for t in batch]
            diff = [i for i in range(len(batch)) if f[i] != s[i]]
            row = [
                len(batch),
                sum(map(len, s)),
                len(diff),
                sum(is_tie(encoder, f[i], s[i]) for i in diff),
                sum(a != b for a, b in zip(f, p, strict=True)),
                sum(a != b for a, b in zip(s, p, strict=True)),
            ]
            totals = [t + r for t, r in zip(totals, row, strict=True)]
            print(f"| {label} | " + " | ".join(f"{r:,}" for r in row) + " |", flush=True)
    print("| **all** | " + " | ".join(f"**{t:,}**" for t in totals) + " |")
    return totals


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", action="append", help="vocabulary dir (repeatable)")
    parser.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    parser.add_argument("--limit", type=int, help="at most this many texts per source")
    args = parser.parse_args(argv)
    sources = shared_texts(args.data)
    if args.limit:
        sources = {k: v[: args.limit] for k, v in sources.items()}
    vocab_dirs = args.vocab
    if not vocab_dirs:
        trained = tempfile.mkdtemp(prefix="parity_vocab_")
        documents = corpus.read_corpus(sorted(glob.glob(os.path.join(REPO, "data", "*", "*.txt"))))
        proto = vocab.train_sentencepiece(documents, 8000, lowercase=True, seed=0)
        vocab.write_vocab_dir(trained, proto, {"lowercase": True, "strip_accents": True, "seed": 0})
        vocab_dirs = [os.path.join(REPO, "tests", "data", "spm"), trained]
    start = time.perf_counter()
    for vocab_dir in vocab_dirs:
        check(vocab_dir, sources)
    print(f"({time.perf_counter() - start:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
