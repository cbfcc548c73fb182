"""ALBERT text normalization, in Python and in TF ops, kept equal.

It follows `preprocess_text` of google-research/albert `tokenization.py`:

1. strip the ends and collapse every run of whitespace to one space;
2. replace the LaTeX quotes `` and '' with ";
3. optionally (``strip_accents``) NFKD-normalize and drop combining marks;
4. optionally (``lowercase``) lowercase.

Differences from the original: combining marks are the Unicode category
``Mn`` (the original drops characters with a non-zero canonical combining
class; the two sets agree on accents), and the TF version lowercases with
ICU (`tf.strings.lower(..., encoding="utf-8")`), which agrees with Python's
`str.lower` on the text we tested (Latin, Greek, Cyrillic, CJK is unchanged).
The same normalization runs when training the vocabulary, writing pretraining
data and inside the `AlbertTokenizer` layer.
"""

import re
import unicodedata

import tensorflow as tf
import tensorflow_text as tf_text

# Python's str.split() whitespace: ASCII whitespace, \x1c-\x1f, \x85 and Z*.
_WS_CLASS = r"[\t\n\x{0b}\x{0c}\r \x{1c}-\x{1f}\x{85}\p{Z}]"
# The whitespace that `normalize` collapses (an RE2 character class).
WHITESPACE_CLASS = _WS_CLASS
_PY_WS = re.compile(r"[\t\n\x0b\x0c\r \x1c-\x1f\x85\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def preprocess_text(text: str | bytes, lowercase: bool = True, strip_accents: bool = True) -> str:
    """Normalizes one Python string like the in-graph `normalize` does."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    text = _PY_WS.sub(" ", text).strip(" ")
    text = text.replace("``", '"').replace("''", '"')
    if strip_accents:
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    if lowercase:
        text = text.lower()
    return text


def starts_with_space(text: str) -> bool:
    """True when `text` (str) starts with whitespace (the whitespace `preprocess_text` collapses)."""
    return _PY_WS.match(text) is not None


def starts_with_space_in_graph(text: tf.Tensor) -> tf.Tensor:
    """TF version of `starts_with_space`: a bool tensor of the shape of the tf.string `text`."""
    return tf.strings.regex_full_match(text, "(?s)" + _WS_CLASS + ".*")


def normalize(text: tf.Tensor, lowercase: bool = True, strip_accents: bool = True) -> tf.Tensor:
    """Normalizes a string tensor of any shape with TF ops.

    Args:
        text: tf.string tensor, e.g. `[batch]`.
        lowercase: lowercase the text.
        strip_accents: NFKD-normalize and drop combining marks.

    Returns:
        A tf.string tensor of the same shape.
    """
    text = tf.strings.regex_replace(text, _WS_CLASS + "+", " ")
    text = tf.strings.regex_replace(text, r"^ +| +$", "")
    text = tf.strings.regex_replace(text, r"``|''", '"')
    if strip_accents:
        text = tf_text.normalize_utf8(text, "NFKD")
        text = tf.strings.regex_replace(text, r"\p{Mn}", "")
    if lowercase:
        text = tf.strings.lower(text, encoding="utf-8")
    return text
