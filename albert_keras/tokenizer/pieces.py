"""What a SentencePiece piece is: a word start, a digit-comma piece.

A piece starts a word when it starts with ``▁``, holds a CJK character (each
Chinese/Japanese/Korean character is its own word), is a single ASCII
punctuation character, or is a ``<...>`` symbol (as ALBERT's
`_is_start_piece`). Other pieces continue the word before them. Whole-word
masking (`albert_keras.masking.word_boundaries`) builds its tables from
`is_start_piece`; the tokenizers expose it as `is_word_start`.

A digit-comma piece is one that the original ALBERT `encode_pieces` splits:
longer than one character, ending in ``,`` with a digit before it (Python's
`str.isdigit`, so any Unicode digit), such as ``▁2014,``. `digit_comma_pattern()`
is the same test as an RE2 pattern, for the in-graph tokenizer.
"""

import functools
import string
import sys

SPIECE_UNDERLINE = "\u2581"
PUNCTUATION = frozenset(string.punctuation)


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


def is_start_piece(piece: str) -> bool:
    """True when the SentencePiece `piece` (str) starts a new word."""
    return (
        piece.startswith(SPIECE_UNDERLINE)
        or piece.startswith("<")
        or piece in PUNCTUATION
        or any(is_cjk(c) for c in piece)
    )


def is_digit_comma(piece: str) -> bool:
    """True when the original `encode_pieces` splits `piece`: ``len > 1``, ends in a digit and ``,``."""
    return len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit()


@functools.cache
def digit_class() -> str:
    """An RE2 character class of exactly the characters for which `str.isdigit` is True."""
    ranges = []
    start = None
    for cp in range(sys.maxunicode + 2):
        digit = cp <= sys.maxunicode and chr(cp).isdigit()
        if digit and start is None:
            start = cp
        elif not digit and start is not None:
            ranges.append(f"\\x{{{start:x}}}-\\x{{{cp - 1:x}}}" if cp - 1 > start else f"\\x{{{start:x}}}")
            start = None
    return "[" + "".join(ranges) + "]"


@functools.cache
def digit_comma_pattern() -> str:
    """The RE2 pattern that fully matches a digit-comma piece (see `is_digit_comma`)."""
    return "(?s).*" + digit_class() + ","
