"""The Python twin of `AlbertTokenizer`, for offline data preparation.

`SentencePieceEncoder.encode` gives exactly the ids the in-graph
`AlbertTokenizer` gives (same special-token splitting, same normalization),
using the `sentencepiece` Python package, which is faster outside a graph.
"""

import os
import re
from collections.abc import Iterable

import sentencepiece as spm

from albert_keras import features
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
