"""The Python twin of `AlbertTokenizer`, for offline data preparation.

`SentencePieceEncoder.encode` gives exactly the ids the in-graph
`AlbertTokenizer` gives (same special-token splitting, same normalization),
using the `sentencepiece` Python package, which is faster outside a graph.
"""

import os
import re
import string
from collections.abc import Iterable

import sentencepiece as spm

from albert_keras import features
from albert_keras.tokenizer import special_ids as special
from albert_keras.tokenizer import vocab
from albert_keras.tokenizer.normalize import preprocess_text

Proto = bytes | str | os.PathLike  # model proto bytes, a `spiece.model` path or a vocabulary dir

SPECIAL_PATTERN = r"\[CLS\]|\[SEP\]|\[MASK\]"
SPECIAL_IDS = {
    features.CLS_TOKEN: features.CLS_ID,
    features.SEP_TOKEN: features.SEP_ID,
    features.MASK_TOKEN: features.MASK_ID,
}
_SPLIT = re.compile("(" + SPECIAL_PATTERN + ")")
_PUNCTUATION = frozenset(string.punctuation)


def is_cjk(char: str) -> bool:
    """True for a CJK ideograph, kana, hangul or CJK punctuation character."""
    cp = ord(char)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2FA1F
        or 0xF900 <= cp <= 0xFAFF
        or 0x3000 <= cp <= 0x30FF  # CJK punctuation, hiragana, katakana
        or 0xAC00 <= cp <= 0xD7AF  # hangul
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms
    )


def is_word_start(piece: str) -> bool:
    """True when the SentencePiece `piece` starts a new word.

    As ALBERT's `_is_start_piece`: it starts with ``▁``, is a ``<...>``
    symbol, a single ASCII punctuation character or holds a CJK character.
    """
    return (
        piece.startswith("\u2581")
        or piece.startswith("<")
        or piece in _PUNCTUATION
        or any(is_cjk(c) for c in piece)
    )


def load_proto(proto: Proto) -> bytes:
    """Returns model proto bytes from bytes, a `spiece.model` path or a vocab dir."""
    if isinstance(proto, (bytes, bytearray)):
        if not proto:
            raise ValueError("SentencePiece model proto is empty (got b'')")
        return bytes(proto)
    if isinstance(proto, (str, os.PathLike)):
        with open(vocab.model_path(proto), "rb") as f:
            return f.read()
    raise TypeError(f"proto must be bytes or a path, got {type(proto).__name__}")


def resolve_options(proto: Proto | None, lowercase: bool | None, strip_accents: bool | None) -> tuple[bool, bool]:
    """Fills `None` options from `tokenizer.json` when `proto` is a path."""
    if lowercase is not None and strip_accents is not None:
        return bool(lowercase), bool(strip_accents)
    if isinstance(proto, (str, os.PathLike)):
        options = vocab.read_vocab_options(proto)
    else:
        options = {"lowercase": True, "strip_accents": True}
    if lowercase is None:
        lowercase = options["lowercase"]
    if strip_accents is None:
        strip_accents = options["strip_accents"]
    return bool(lowercase), bool(strip_accents)


class SentencePieceEncoder:
    """Tokenizes Python strings to ALBERT ids.

    Args:
        proto: model proto bytes, a `spiece.model` path or a vocabulary dir.
        lowercase: lowercase before tokenizing; `None` reads `tokenizer.json`.
        strip_accents: strip accents; `None` reads `tokenizer.json`.
    """

    def __init__(self, proto: Proto, lowercase: bool | None = None, strip_accents: bool | None = None) -> None:
        self.lowercase, self.strip_accents = resolve_options(proto, lowercase, strip_accents)
        self.proto = load_proto(proto)
        self.sp = spm.SentencePieceProcessor(model_proto=self.proto)
        vocab.check_special_ids(self.proto)

    def vocabulary_size(self) -> int:
        """Returns the number of pieces."""
        return self.sp.get_piece_size()

    def id_to_piece(self, i: int) -> str:
        """Returns the piece string of id `i`."""
        return self.sp.id_to_piece(int(i))

    def encode(self, text: str) -> list[int]:
        """Returns the list of ids of `text` (literal [CLS]/[SEP]/[MASK] kept)."""
        ids = []
        for part in _SPLIT.split(text):
            if part in SPECIAL_IDS:
                ids.append(SPECIAL_IDS[part])
            elif part:
                normalized = preprocess_text(part, self.lowercase, self.strip_accents)
                ids.extend(self.sp.encode(normalized))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Returns the text of `ids` (special tokens dropped)."""
        return self.sp.decode([int(i) for i in ids])

    @property
    def special_ids(self) -> special.SpecialIds:
        """The special ids of the ALBERT SentencePiece vocabulary (0..4)."""
        return special.SENTENCEPIECE

    def is_word_start(self, piece: str) -> bool:
        """True when the piece string `piece` starts a word (whole-word masking)."""
        return is_word_start(piece)
