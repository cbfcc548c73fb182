"""Regenerates the tiny BERT WordPiece vocabulary `tests/data/wordpiece/vocab.txt`.

Run from the repository root:

    PYTHONPATH=$PWD .venv/bin/python tests/data/make_wordpiece.py

The vocabulary is written by hand (no training, so it is the same on every
run) in the layout of Google's BERT/ALBERT `vocab.txt`: ``[PAD]`` first, some
``[unusedN]`` slots, then ``[UNK] [CLS] [SEP] [MASK]`` (so the special ids,
0, 11, 12, 13, 14, are not ALBERT's 0-4), then the ASCII characters, a few
accented and CJK characters, whole words (lowercase and cased) and ``##``
continuation pieces. `tests/test_wordpiece.py` compares our tokenizers with
Hugging Face's `BertTokenizer` on it, so it need not match any real
vocabulary; it only has to exercise every path (words, ``##`` pieces, CJK
characters, accents, [UNK]).
"""

import pathlib
import string

HERE = pathlib.Path(__file__).resolve().parent
OUTPUT = HERE / "wordpiece" / "vocab.txt"

SPECIAL = ["[PAD]"] + [f"[unused{i}]" for i in range(10)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ASCII = [c for c in string.printable if not c.isspace()]
ACCENTED = list("éïàüçñß") + ["ａ", "ﬁ", "①"]
CJK = list("猫是我爱北京天安门在年发布狗也动物的一人中国大学。，！？、")
WORDS = (
    "the a an and of to in is it was be for on with as at by this that from or he she they we you i "
    "hello world albert bert model token tokenizer text word piece test cafe naive resume un "
    "happy play run jump q b c released 2019 20 19 x quick brown fox lazy dog "
    "Hello World ALBERT BERT The Caf caf Café na naïve r résumé Un Run"
).split()
SUFFIXES = (
    "##s ##es ##ed ##ing ##ly ##er ##est ##able ##aff ##ness ##ful ##iz ##ize ##ation ##e ##ve "
    "##é ##ï ##sume ##ume ##um ##19 ##0 ##1 ##2 ##9 ##fe ##ive ##ai ##na ##ll ##o ##lo "
    "##ERT ##BERT ##T ##ü ##ß"
).split()
CHAR_SUFFIXES = ["##" + c for c in string.ascii_lowercase + string.digits]


def tokens() -> list[str]:
    """The vocabulary, id order, without duplicates (list of str)."""
    out: list[str] = []
    for token in SPECIAL + ASCII + ACCENTED + CJK + WORDS + SUFFIXES + CHAR_SUFFIXES:
        if token not in out:
            out.append(token)
    return out


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text("".join(t + "\n" for t in tokens()), encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(tokens())} tokens)")


if __name__ == "__main__":
    main()
