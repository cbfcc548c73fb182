"""The one reader of CSV, TSV and JSONL files: rows with the line each starts on.

Every data file is decoded the same way (`decode_text`): strict UTF-8 (an
error gives the byte offset), a leading byte-order mark dropped, ``\\r\\n`` and
``\\r`` turned into ``\\n``. Then:

* ``csv`` / ``tsv``: the first non-blank row is the header naming the fields.
  Quoting follows RFC 4180 (Python's `csv`, strict): a field in double quotes
  may hold the delimiter, newlines and doubled quotes (``"他说，""好"", 然后"``).
  Every row must have as many fields as the header; blank rows are skipped.
* ``jsonl``: one JSON object a line; blank lines are skipped.

The format follows the extension (`format_of`): ``.csv``, ``.tsv``,
``.jsonl`` or ``.json`` (read as JSONL). Every problem raises `DataError`
naming the file, the line and, where one is at fault, the field. Readers
check their fields through `Row.require` and `Row.error`, so their messages
read alike:

    `label` must be one of ['neg', 'pos']. Received: 'x' (data/train.csv, line 12)

Example:

>>> rows = parse_rows('text,label\\n"a, b",pos\\n', "mem.csv", "csv")
>>> rows[0].values, rows[0].line
({'text': 'a, b', 'label': 'pos'}, 2)
"""

import csv
import dataclasses
import gzip
import io
import json
import os
import zlib
from typing import Any

from albert_keras.data.errors import DataError

FORMATS = ("csv", "tsv", "jsonl")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl"}
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_QUOTE_CHARS = 80  # how much of a bad line an error quotes


@dataclasses.dataclass(frozen=True)
class Row:
    """One record of a file.

    Attributes:
        values: field name -> value (str for CSV/TSV; any JSON value for JSONL).
        path: the file.
        line: the 1-based line the record starts on.
    """

    values: dict
    path: str
    line: int

    def get(self, name: str, default: Any = None) -> Any:
        """The value of field `name`, or `default` when absent."""
        return self.values.get(name, default)

    def require(self, name: str, kind: type | tuple[type, ...] | None = None) -> Any:
        """The value of field `name`, which must be present and not blank.

        Args:
            name: the field.
            kind: optional type (or tuple of types) the value must have.

        Raises:
            DataError: the field is absent, None or a blank string, or not `kind`.
        """
        value = self.values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            state = "empty" if name in self.values else "missing"
            raise self.error(f"`{name}` is {state}. Received fields: {sorted(map(str, self.values))}", field=name)
        if kind is not None and not isinstance(value, kind):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.error(f"`{name}` must be a {names}. Received: {value!r}", field=name)
        return value

    def error(self, message: str, field: str | None = None) -> DataError:
        """A `DataError` at this row (to `raise`)."""
        return DataError(message, self.path, self.line, field)


def decode_text(data: bytes, path: str) -> str:
    """Decodes the bytes of a data file (see the module docstring).

    A `path` ending in ``.gz`` is gunzipped first (`format_of` looks
    through the suffix: ``reviews.csv.gz`` is CSV).

    Raises:
        DataError: a broken gzip stream, or bytes that are not UTF-8 (the
            message gives the byte offset).
    """
    if os.fspath(path).lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"The file must be a complete gzip stream ({e}); re-compress it with gzip", path) from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = data[e.start : e.start + 4]
        raise DataError(
            f"The file must be UTF-8. Received bytes {bad!r} at byte offset {e.start} ({e.reason}); "
            "re-encode the file as UTF-8",
            path,
        ) from e
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | os.PathLike) -> str:
    """The decoded text of a local file (`decode_text`).

    Raises:
        DataError: the file is missing, not a regular file, or not UTF-8.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError("File not found", path)
    if not os.path.isfile(path):
        raise DataError("The path must be a regular file, not a directory", path)
    with open(path, "rb") as f:
        return decode_text(f.read(), path)


def format_of(path: str | os.PathLike) -> str | None:
    """The format of `path` by its extension ("csv", "tsv", "jsonl"), or None; a ``.gz`` suffix is looked through."""
    name = os.fspath(path).lower()
    if name.endswith(".gz"):
        name = name[: -len(".gz")]
    return EXTENSIONS.get(os.path.splitext(name)[1])


def parse_rows(text: str, path: str | os.PathLike, fmt: str) -> list[Row]:
    """Parses the decoded text of a file into rows.

    Args:
        text: the text (`decode_text` output; a leading BOM is dropped anyway).
        path: the file name, for error messages.
        fmt: one of `FORMATS`.

    Returns:
        A list of `Row`s in file order (possibly empty).

    Raises:
        DataError: malformed quoting, a row whose field count differs from
            the header's, a duplicate header name, invalid JSON or a JSON
            line that is not an object.
    """
    path = os.fspath(path)
    if text.startswith("\ufeff"):
        text = text[1:]
    if fmt in _DELIMITERS:
        return _delimited_rows(text, path, _DELIMITERS[fmt])
    if fmt == "jsonl":
        return _jsonl_rows(text, path)
    raise ValueError(f"`fmt` must be one of {FORMATS}. Received: {fmt!r}")


def read_rows(path: str | os.PathLike, fmt: str | None = None) -> list[Row]:
    """Reads a CSV, TSV or JSONL file into rows (`parse_rows`).

    Args:
        path: the file.
        fmt: one of `FORMATS`; by default it follows the extension.

    Raises:
        DataError: an unknown extension, a missing or non-UTF-8 file, or a
            malformed row.
    """
    path = os.fspath(path)
    fmt = fmt or format_of(path)
    if fmt is None:
        raise DataError(
            f"The file extension must be one of {sorted(EXTENSIONS)}. Received: {os.path.splitext(path)[1]!r}", path
        )
    return parse_rows(read_text(path), path, fmt)


def _delimited_rows(text, path, delimiter):
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header, header_line, rows = None, None, []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise DataError(f"Malformed quoting: {e}", path, start) from e
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header, header_line = [f.strip() for f in fields], start
            duplicates = sorted({name for name in header if header.count(name) > 1})
            if duplicates or "" in header:
                raise DataError(
                    f"The header must name every column once. Received: {header!r}", path, header_line
                )
            continue
        if len(fields) != len(header):
            raise DataError(
                f"A row must have {len(header)} fields, as the header {header} (line {header_line}). "
                f"Received {len(fields)}: {_quote(fields)}",
                path,
                start,
            )
        rows.append(Row(dict(zip(header, fields, strict=True)), path, start))
    return rows


def _jsonl_rows(text, path):
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"Invalid JSON: {e.msg} at column {e.colno}. Received: {_quote(line)}", path, number) from e
        if not isinstance(value, dict):
            raise DataError(f"A JSONL line must be a JSON object. Received: {_quote(line)}", path, number)
        rows.append(Row(value, path, number))
    return rows


def _quote(value):
    text = repr(value)
    return text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 3] + "..."
