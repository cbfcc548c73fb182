"""The Python twin of `AlbertTokenizer`, for offline data preparation.

`SentencePieceEncoder.encode` gives the ids the in-graph `AlbertTokenizer`
gives, using the `sentencepiece` Python package, which is faster outside a
graph; the one exception is an exact score tie between two segmentations,
which the kernels break differently (see the `albert_tokenizer` module).
Both follow google-research/albert `tokenization.py`
(`preprocess_text`, `encode_pieces`, `PieceToId`):

1. The text is split on the literal special tokens ``[CLS]``, ``[SEP]``,
   ``[MASK]``, which become their ids (2, 3, 4) in place.
2. Each other segment is normalized (`preprocess_text`) and cut into pieces
   by SentencePiece. A segment that follows a special token with no
   whitespace in between continues the text there: it is tokenized without
   the dummy ``▁`` prefix (a second model with
   ``normalizer_spec.add_dummy_prefix = false``, `vocab.without_dummy_prefix`),
   so ``a free [MASK].`` gives ``▁a ▁free [MASK] .``. A segment that starts
   with whitespace, or starts the text, is tokenized as a text (``▁`` first).
3. The digit-comma rule of `encode_pieces`: a piece longer than one character
   that ends in ``,`` with a digit before it (``▁2014,``) is replaced by the
   pieces of the text without the ``,`` and without ``▁`` (tokenized as a
   text, with the main model), then ``,``. When the original piece did not
   start with ``▁``, the first new piece loses its leading ``▁`` (it is
   dropped if it was only ``▁``).
4. Each piece gets `PieceToId` (a piece not in the vocabulary, which the
   ``▁``-stripping of step 3 can make, is ``<unk>``).

The special ids are `special_ids.SENTENCEPIECE`, checked against the proto.
"""

import os
import re
from collections.abc import Iterable

import sentencepiece as spm

from albert_keras import features
from albert_keras.tokenizer import pieces as piece_rules
from albert_keras.tokenizer import special_ids as special_ids_lib
from albert_keras.tokenizer import vocab
from albert_keras.tokenizer.normalize import preprocess_text, starts_with_space

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

    Attributes:
        special_ids: the `SpecialIds` of the vocabulary (`<pad>` 0, `<unk>` 1,
            `[CLS]` 2, `[SEP]` 3, `[MASK]` 4).
        sp: the `sentencepiece.SentencePieceProcessor` of the model.
    """

    def __init__(self, proto: Proto, lowercase: bool | None = None, strip_accents: bool | None = None) -> None:
        self.lowercase, self.strip_accents = resolve_options(proto, lowercase, strip_accents)
        self.proto = load_proto(proto)
        vocab.check_special_ids(self.proto)
        self.special_ids = special_ids_lib.SENTENCEPIECE
        self.sp = spm.SentencePieceProcessor(model_proto=self.proto)
        self._sp_continuation = spm.SentencePieceProcessor(model_proto=vocab.without_dummy_prefix(self.proto))

    def vocabulary_size(self) -> int:
        """Returns the number of pieces."""
        return self.sp.get_piece_size()

    def token_to_id(self, token: str) -> int:
        """Returns the id of the piece `token`, `<unk>`'s id if absent."""
        return self.sp.piece_to_id(token)

    def id_to_piece(self, i: int) -> str:
        """Returns the piece string of id `i`."""
        return self.sp.id_to_piece(int(i))

    def is_word_start(self, piece: str) -> bool:
        """True when `piece` starts a word (for whole-word masking); see `pieces.is_start_piece`."""
        return piece_rules.is_start_piece(piece)

    def encode_pieces(self, text: str) -> list[str]:
        """Returns the pieces of `text` (str), special tokens kept as their strings; see the module docstring."""
        out = []
        after_special = False
        for part in _SPLIT.split(text):
            if part in SPECIAL_IDS:
                out.append(part)
                after_special = True
                continue
            if part:
                continues = after_special and not starts_with_space(part)
                sp = self._sp_continuation if continues else self.sp
                normalized = preprocess_text(part, self.lowercase, self.strip_accents)
                for piece in sp.encode_as_pieces(normalized):
                    out.extend(self.split_digit_comma(piece))
            after_special = False
        return out

    def split_digit_comma(self, piece: str) -> list[str]:
        """The pieces `encode_pieces` puts in place of `piece` (str): itself, or its digit-comma split."""
        if not piece_rules.is_digit_comma(piece):
            return [piece]
        new = self.sp.encode_as_pieces(piece[:-1].replace(piece_rules.SPIECE_UNDERLINE, ""))
        if not piece.startswith(piece_rules.SPIECE_UNDERLINE) and new and new[0].startswith(
            piece_rules.SPIECE_UNDERLINE
        ):
            first = new[0][1:]
            new = ([first] if first else []) + new[1:]
        return new + [piece[-1]]

    def encode(self, text: str) -> list[int]:
        """Returns the list of ids of `text` (literal [CLS]/[SEP]/[MASK] kept)."""
        return [self.sp.piece_to_id(piece) for piece in self.encode_pieces(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Returns the text of `ids` (special tokens dropped)."""
        return self.sp.decode([int(i) for i in ids])
