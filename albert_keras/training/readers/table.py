"""Classification and regression data from CSV, TSV or JSONL.

Each row has a text field (default `text`), an optional second text
(`text_b`, for sentence pairs) and a label (`label`): a class name (any
string or integer) for classification, a number for regression. The format
follows the extension: `.csv`, `.tsv`, `.jsonl`/`.json` (one object a line).
"""

import csv
import json
import os

import numpy as np

from albert_keras import features
from albert_keras.training.packing import pack


class DataError(ValueError):
    """A fine-tuning data file is malformed; the message names file and line."""


def read_rows(path):
    """Returns `[(line_number, dict)]` of a CSV, TSV or JSONL file."""
    ext = os.path.splitext(path)[1].lower()
    with open(path, encoding="utf-8", newline="") as f:
        if ext in (".csv", ".tsv"):
            reader = csv.DictReader(f, delimiter="\t" if ext == ".tsv" else ",")
            return [(i + 2, row) for i, row in enumerate(reader)]
        if ext in (".jsonl", ".json"):
            rows = []
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise DataError(f"{path}:{number}: invalid JSON ({e.msg})") from e
                if not isinstance(row, dict):
                    raise DataError(f"{path}:{number}: expected a JSON object")
                rows.append((number, row))
            return rows
    raise DataError(f"{path}: unknown extension {ext!r}; expected .csv, .tsv or .jsonl")


def _field(path, number, row, name, required=True):
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip() and required):
        if required:
            raise DataError(f"{path}:{number}: missing field {name!r} (has {sorted(row)})")
        return None
    return value


def collect_labels(path, label_field="label"):
    """The sorted distinct labels (as strings) of a file."""
    return sorted({str(_field(path, n, row, label_field)) for n, row in read_rows(path)})


def encode_table(path, encoder, sequence_length, labels=None, regression=False,
                 text_field="text", text_b_field="text_b", label_field="label"):
    """Reads and encodes a classification/regression file.

    Args:
        path: the file.
        encoder: a `SentencePieceEncoder`.
        sequence_length: T.
        labels: class names in id order (classification).
        regression: labels are numbers.
        text_field, text_b_field, label_field: field names.

    Returns:
        `(x, y)`: x a dict of int32 `[N, T]` arrays; y int32 `[N]` class
        ids, or float32 `[N, 1]` for regression.
    """
    index = {name: i for i, name in enumerate(labels or [])}
    rows = read_rows(path)
    if not rows:
        raise DataError(f"{path}: no rows")
    packed, targets = [], []
    for number, row in rows:
        text = str(_field(path, number, row, text_field))
        text_b = _field(path, number, row, text_b_field, required=False)
        label = _field(path, number, row, label_field)
        ids_b = encoder.encode(str(text_b)) if text_b not in (None, "") else None
        packed.append(pack(encoder.encode(text), ids_b, sequence_length))
        if regression:
            try:
                targets.append([float(label)])
            except ValueError as e:
                raise DataError(f"{path}:{number}: label {label!r} is not a number") from e
        else:
            if str(label) not in index:
                raise DataError(f"{path}:{number}: label {label!r} is not one of the labels {list(index)}")
            targets.append(index[str(label)])
    tokens, segments, padding = (np.asarray(a, np.int32) for a in zip(*packed))
    x = {features.TOKEN_IDS: tokens, features.SEGMENT_IDS: segments, features.PADDING_MASK: padding}
    y = np.asarray(targets, np.float32 if regression else np.int32)
    return x, y
