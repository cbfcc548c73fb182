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
dropped.
"""

import json
import os
import re

FORMATS = ("auto", "text", "lines", "fortune", "jsonl")

_FORTUNE_SEPARATOR = re.compile(r"^%[ \t]*$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


class CorpusError(ValueError):
    """A corpus file is missing, empty, not UTF-8 or malformed."""


def read_text(path):
    """Returns the text of `path` decoded as strict UTF-8.

    Raises:
        CorpusError: the file is missing, is not a regular file, or holds
            bytes that are not UTF-8 (the message gives the byte offset).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise CorpusError(f"Corpus file not found: {path!r}")
    if not os.path.isfile(path):
        raise CorpusError(f"Corpus path is not a regular file: {path!r}")
    with open(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = data[e.start : e.start + 4]
        raise CorpusError(
            f"{path}: not valid UTF-8 at byte offset {e.start} "
            f"(bytes {bad!r}: {e.reason}); re-encode the file as UTF-8"
        ) from e
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_format(path, text):
    """Returns the format `"auto"` resolves to for `path` with content `text`."""
    if os.fspath(path).lower().endswith((".jsonl", ".json")):
        return "jsonl"
    if _FORTUNE_SEPARATOR.search(text):
        return "fortune"
    return "text"


def split_documents(text, fmt, path="<string>"):
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
        raise ValueError(f"Unknown corpus format {fmt!r}; expected one of {FORMATS}")
    return [p.strip("\n").rstrip() for p in parts if p.strip()]


def _jsonl_texts(text, path):
    texts = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise CorpusError(f"{path}:{number}: invalid JSON ({e.msg})") from e
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise CorpusError(
                f"{path}:{number}: expected an object with a string 'text' field, "
                f"got {line[:80]!r}"
            )
        texts.append(record["text"])
    return texts


def read_documents(path, fmt="auto"):
    """Reads one corpus file into a list of documents.

    Args:
        path: the file.
        fmt: one of `FORMATS` (see the module docstring).

    Returns:
        A non-empty list of document strings.

    Raises:
        CorpusError: missing file, non-UTF-8 bytes, malformed JSONL, or a file
            holding no text at all.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown corpus format {fmt!r}; expected one of {FORMATS}")
    text = read_text(path)
    if fmt == "auto":
        fmt = detect_format(path, text)
    documents = split_documents(text, fmt, path=os.fspath(path))
    if not documents:
        raise CorpusError(f"{os.fspath(path)}: empty corpus file (no text found)")
    return documents


def read_corpus(paths, fmt="auto"):
    """Reads several corpus files; returns all their documents in order."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not paths:
        raise ValueError("read_corpus needs at least one file, got none")
    documents = []
    for path in paths:
        documents.extend(read_documents(path, fmt))
    return documents
