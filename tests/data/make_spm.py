"""Regenerates the tiny SentencePiece vocabulary in `tests/data/spm/`.

Run from the repository root:

    PYTHONPATH=$PWD .venv/bin/python tests/data/make_spm.py

It trains `albert_keras.tokenizer.vocab.train_sentencepiece` (unigram,
lowercase, accents stripped, seed 0, one thread, so the bytes are the same on
every run) on a small slice of the bundled corpus: the first entries of two
English fortune files plus the Chinese entries that hold the characters of the
fill-mask example `猫是[MASK]。`. The tokenizer tests assert exact ids for this
model, so regenerating it (after a SentencePiece upgrade, or a change of the
slice) means updating the ids written in `tests/test_spm_vocab.py`.
"""

import hashlib
import os
import pathlib
import sys

from albert_keras.data import corpus
from albert_keras.tokenizer import vocab

HERE = pathlib.Path(__file__).resolve().parent
REPO_DATA = HERE.parent.parent / "data"
OUTPUT_DIR = HERE / "spm"
VOCAB_SIZE = 1000
OPTIONS = {"lowercase": True, "strip_accents": True, "seed": 0}


def documents() -> list[str]:
    """The training slice: 60 English fortunes and 30 Chinese entries (list of str)."""
    docs = []
    for name in ("fortunes/science.txt", "fortunes/computers.txt"):
        docs.extend(corpus.read_documents(REPO_DATA / name)[:30])
    chinese = corpus.read_documents(REPO_DATA / "zh/chinese.txt")
    docs.extend([d for d in chinese if "猫" in d][:20])
    docs.extend(chinese[:10])
    docs.append("猫是动物。狗也是动物。")  # the tests' Chinese sentences, so they have no <unk>
    return docs


def main() -> int:
    proto = vocab.train_sentencepiece(documents(), vocab_size=VOCAB_SIZE, seed=OPTIONS["seed"], num_threads=1)
    vocab.write_vocab_dir(OUTPUT_DIR, proto, OPTIONS)
    os.remove(OUTPUT_DIR / vocab.VOCAB_FILE)  # the human-readable list is not needed by the tests
    print(f"wrote {OUTPUT_DIR / vocab.MODEL_FILE}: {len(proto)} bytes, sha256 {hashlib.sha256(proto).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
