"""Reads a text corpus into documents.

Three formats:

* ``"text"``: plain text, one document per block of lines; blocks are
  separated by one or more blank lines (the layout of the original BERT/ALBERT
  ``create_pretraining_data.py`` input). A file without blank lines is
  therefore one document; give it as ``"lines"`` to make each line a document.
* ``"lines"``: one document per non-blank line.
* ``"fortune"``: entries separated by lines holding only ``%`` (the fortune
  files under ``data/``); each entry is a document.
* ``"jsonl"``: one JSON object per line; its ``"text"`` field is a document.

``"auto"`` (the default) picks ``"jsonl"`` for ``.jsonl``/``.json`` files,
``"fortune"`` when some line is exactly ``%``, and ``"text"`` otherwise.

Documents keep their inner newlines (sentence splitting treats a newline as a
sentence end); they are stripped of surrounding whitespace and empty ones are
dropped. Files are decoded and JSONL is parsed by `albert_keras.data.tabular`;
every problem raises `DataError` naming the file (and the line).
"""

import os
import re
from collections.abc import Sequence

from albert_keras.data import tabular
from albert_keras.data.errors import DataError

FORMATS = ("auto", "text", "lines", "fortune", "jsonl")

_FORTUNE_SEPARATOR = re.compile(r"^%[ \t]*$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


def detect_format(path: str | os.PathLike, text: str) -> str:
    """Returns the format `"auto"` resolves to for `path` with content `text`."""
    if os.fspath(path).lower().endswith((".jsonl", ".json")):
        return "jsonl"
    if _FORTUNE_SEPARATOR.search(text):
        return "fortune"
    return "text"


def split_documents(text: str, fmt: str, path: str | os.PathLike = "<string>") -> list[str]:
    """Splits the decoded `text` of one file into documents.

    Args:
        text: the file's text.
        fmt: one of `FORMATS` other than `"auto"`.
        path: the file name, for error messages.

    Returns:
        A list of non-empty document strings.
    """
    if fmt == "text":
        parts = _BLANK_LINES.split(text)
    elif fmt == "lines":
        parts = text.split("\n")
    elif fmt == "fortune":
        parts = _FORTUNE_SEPARATOR.split(text)
    elif fmt == "jsonl":
        parts = _jsonl_texts(text, path)
    else:
        raise ValueError(f"`fmt` must be one of {FORMATS}. Received: {fmt!r}")
    return [p.strip("\n").rstrip() for p in parts if p.strip()]


def _jsonl_texts(text, path):
    texts = []
    for row in tabular.parse_rows(text, path, "jsonl"):
        value = row.get("text")
        if not isinstance(value, str):
            raise row.error(f"`text` must be a string. Received: {value!r}", field="text")
        texts.append(value)
    return texts


def read_documents(path: str | os.PathLike, fmt: str = "auto") -> list[str]:
    """Reads one corpus file into a list of documents.

    Args:
        path: the file.
        fmt: one of `FORMATS` (see the module docstring).

    Returns:
        A non-empty list of document strings.

    Raises:
        DataError: missing file, non-UTF-8 bytes, malformed JSONL, or a file
            holding no text at all.
    """
    if fmt not in FORMATS:
        raise ValueError(f"`fmt` must be one of {FORMATS}. Received: {fmt!r}")
    text = tabular.read_text(path)
    if fmt == "auto":
        fmt = detect_format(path, text)
    documents = split_documents(text, fmt, path=os.fspath(path))
    if not documents:
        raise DataError("The corpus file holds no text", os.fspath(path))
    return documents


def read_corpus(paths: str | os.PathLike | Sequence[str | os.PathLike], fmt: str = "auto") -> list[str]:
    """Reads several corpus files; returns all their documents in order."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if not paths:
        raise ValueError("`paths` must name at least one file. Received: []")
    documents = []
    for path in paths:
        documents.extend(read_documents(path, fmt))
    return documents
