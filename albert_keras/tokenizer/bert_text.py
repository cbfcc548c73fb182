"""BERT's basic tokenization (text → words), in Python and in TF ops, kept equal.

It follows the `BasicTokenizer` of BERT's `tokenization.py` as Hugging Face's
slow `BertTokenizer` runs it (transformers 4.x):

1. clean: drop ``\\x00``, ``\\ufffd`` and every control character (Unicode
   category ``C*``, unassigned code points included) except ``\\t\\n\\r``;
   map whitespace (``\\t\\n\\r``, space, ``Z*``) to a space;
2. lowercase (``lowercase``) with full Unicode case mapping (Python
   `str.lower`; in TF `StringLower` with ``encoding="utf-8"``, ICU's full
   mapping, final sigma included);
3. NFC-normalize; then, when ``strip_accents``, NFD-normalize and drop the
   nonspacing marks (``Mn``);
4. split on whitespace, and split every punctuation character (Unicode
   ``P*`` and the non-alphanumeric ASCII 33-47, 58-64, 91-96, 123-126) and
   every CJK character (BERT's CJK ranges) into its own word.

Why not `CaseFoldUTF8`: it is NFKC case folding, which also maps ``ß`` to
``ss``, ``ﬁ`` to ``fi``, full-width ``Ａ`` to ``a`` and ``①`` to ``1``;
BERT's lowercasing keeps them (``ß``, ``ﬁ``, ``ａ``, ``①``). `StringLower`
(a TF core op) gives exactly `str.lower`.

HF lowercases and cleans in a slightly different order (lowercase the whole
text, clean, space out CJK, NFC, split, lowercase and strip each word, split
punctuation); the steps commute on every input we know of, and the tests
compare the result with HF's word for word.

Literal special tokens (``[CLS]`` ...) are split off before this runs (see
`special_pattern`), as HF's added-token trie does.

Known difference: a character assigned in a Unicode version newer than
Python's `unicodedata` (13.0 in Python 3.10), e.g. U+1FAE0 (Unicode 14), is
unassigned (``Cn``) to Python, so BERT/HF and the Python twin drop it as a
control character, while TF's RE2 knows it and keeps it (it then becomes
``[UNK]``). HF's own ids for such characters change with the Python version.
"""

import re
import unicodedata
from collections.abc import Iterable

import tensorflow as tf
import tensorflow_text as tf_text

# BERT's "Chinese character" ranges (`_is_chinese_char`).
CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)
# Characters written with no space next to them when ids are turned back
# into text: BERT's CJK ranges plus CJK punctuation and full-width forms.
_NO_SPACE_RANGES = CJK_RANGES + ((0x3000, 0x303F), (0xFF00, 0xFFEF))
_ASCII_PUNCT_RANGES = ((33, 47), (58, 64), (91, 96), (123, 126))


def _re2_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "[" + "".join(f"\\x{{{lo:x}}}-\\x{{{hi:x}}}" for lo, hi in ranges) + "]"


def _py_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "[" + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges) + "]"


# RE2 patterns for the graph.
_TF_CJK = _re2_class(CJK_RANGES)
_TF_PUNCT = "[\\p{P}" + _re2_class(_ASCII_PUNCT_RANGES)[1:]
# Control characters: Cc (less \t\n\r, mapped to spaces first), Cf, Co, Cs,
# U+FFFD, and the unassigned code points (Cn, which RE2 has no name for).
_TF_CONTROL = "[\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}\\x{fffd}]|[^\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Z}\\p{C}]"
_TF_WHITESPACE = "[\\t\\n\\r\\p{Z}]"
TF_WHITESPACE = _TF_WHITESPACE  # the whitespace BERT splits words at (an RE2 class)
TF_SPLIT_PATTERN = " +|" + _TF_PUNCT + "|" + _TF_CJK
TF_KEEP_PATTERN = _TF_PUNCT + "|" + _TF_CJK
_TF_NO_SPACE = _re2_class(_NO_SPACE_RANGES)

_PY_NO_SPACE = _py_class(_NO_SPACE_RANGES)
_PY_SPACE_NEXT_TO_CJK = re.compile(f"(?<={_PY_NO_SPACE}) | (?={_PY_NO_SPACE})")


def is_cjk(char: str) -> bool:
    """True when `char` is in BERT's CJK ranges (each such character is a word)."""
    cp = ord(char)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def is_punctuation(char: str) -> bool:
    """True for BERT punctuation: Unicode ``P*`` or non-alphanumeric ASCII."""
    cp = ord(char)
    if any(lo <= cp <= hi for lo, hi in _ASCII_PUNCT_RANGES):
        return True
    return unicodedata.category(char).startswith("P")


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char).startswith("Z")


def clean_text(text: str) -> str:
    """Drops control characters and maps whitespace to spaces (step 1)."""
    out = []
    for char in text:
        if char in "\x00\ufffd" or _is_control(char):
            continue
        out.append(" " if _is_whitespace(char) else char)
    return "".join(out)


def normalize_text(text: str, lowercase: bool, strip_accents: bool) -> str:
    """Steps 1-3 on one Python string (no splitting)."""
    text = clean_text(text)
    if lowercase:
        text = text.lower()
    text = unicodedata.normalize("NFC", text)
    if strip_accents:
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return text


def basic_tokenize(text: str, lowercase: bool = True, strip_accents: bool | None = None) -> list[str]:
    """Splits one Python string into BERT words (steps 1-4).

    Args:
        text: the text (no literal special tokens: split those off first).
        lowercase: lowercase the text.
        strip_accents: strip accents; `None` follows `lowercase`.

    Returns:
        The list of words, e.g. ``["hello", "!", "猫", "是"]``.
    """
    if strip_accents is None:
        strip_accents = lowercase
    words = []
    for chunk in normalize_text(text, lowercase, strip_accents).split(" "):
        word = []
        for char in chunk:
            if is_punctuation(char) or is_cjk(char):
                if word:
                    words.append("".join(word))
                    word = []
                words.append(char)
            else:
                word.append(char)
        if word:
            words.append("".join(word))
    return words


def join_tokens(tokens: Iterable[str]) -> str:
    """Joins WordPiece tokens into text, BERT-style (Python).

    Tokens are joined with spaces, a ``##`` continuation is glued to the token
    before it, and no space is left next to a CJK character (so
    ``albert 在 2019 年`` reads ``albert在2019年``).
    """
    text = " ".join(tokens).replace(" ##", "")
    return _PY_SPACE_NEXT_TO_CJK.sub("", text)


def tf_normalize(text: tf.Tensor, lowercase: bool, strip_accents: bool) -> tf.Tensor:
    """Steps 1-3 on a string tensor of any shape, with TF ops.

    Args:
        text: tf.string tensor, e.g. `[n]`.
        lowercase: lowercase the text.
        strip_accents: NFD-normalize and drop nonspacing marks.

    Returns:
        A tf.string tensor of the same shape.
    """
    text = tf.strings.regex_replace(text, _TF_WHITESPACE, " ")
    text = tf.strings.regex_replace(text, _TF_CONTROL, "")
    if lowercase:
        text = tf.strings.lower(text, encoding="utf-8")
    text = tf_text.normalize_utf8(text, "NFC")
    if strip_accents:
        text = tf_text.normalize_utf8(text, "NFD")
        text = tf.strings.regex_replace(text, "\\p{Mn}", "")
    return text


def tf_basic_tokenize(text: tf.Tensor, lowercase: bool, strip_accents: bool) -> tf.RaggedTensor:
    """Splits a string tensor `[n]` into BERT words `[n, (w)]` with TF ops."""
    text = tf_normalize(text, lowercase, strip_accents)
    return tf_text.regex_split(text, TF_SPLIT_PATTERN, TF_KEEP_PATTERN)


def tf_join_tokens(tokens: tf.RaggedTensor) -> tf.Tensor:
    """Joins WordPiece token strings `[batch, (n)]` into text `[batch]` like `join_tokens`."""
    text = tf.strings.reduce_join(tokens, axis=-1, separator=" ")
    text = tf.strings.regex_replace(text, " ##", "")
    text = tf.strings.regex_replace(text, f"({_TF_NO_SPACE}) ", "\\1")
    return tf.strings.regex_replace(text, f" ({_TF_NO_SPACE})", "\\1")


def special_pattern(tokens: Iterable[str]) -> str:
    """A regex (Python and RE2) matching any of the literal `tokens`, longest first."""
    return "|".join(re.escape(t) for t in sorted(set(tokens), key=lambda t: (-len(t), t)))
