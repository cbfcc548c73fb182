"""Classification and regression data from CSV, TSV or JSONL.

Each row has a text field (default `text`), an optional second text
(`text_b`, for sentence pairs) and a label (`label`): a class name (any
string or integer) for classification, a number for regression. The file is
read by `albert_keras.data.tabular` (format by extension: `.csv`, `.tsv`,
`.jsonl`/`.json`; quoted CSV fields may hold commas, quotes and newlines).

`read_labelled_texts` gives the rows as `(text, label, other fields)` records
without encoding them (the benchmarks' baselines and hash split take text).
"""

import dataclasses
import os
from collections.abc import Sequence

import numpy as np

from albert_keras import features
from albert_keras.data import tabular
from albert_keras.data.errors import DataError
from albert_keras.data.packing import pack
from albert_keras.tokenizer.loading import Encoder


@dataclasses.dataclass(frozen=True)
class LabelledText:
    """One labelled row of a table.

    Attributes:
        text: the text field, as in the file.
        label: the label field, as a string.
        fields: the requested other fields (name -> value as a string).
        line: the 1-based line the row starts on.
    """

    text: str
    label: str
    fields: dict
    line: int


def read_labelled_texts(
    path: str | os.PathLike,
    text_field: str = "text",
    label_field: str = "label",
    extra_fields: Sequence[str] = (),
    labels: Sequence[str] | None = None,
) -> list[LabelledText]:
    """Reads a CSV, TSV or JSONL file of labelled texts (e.g. `cat,label,review` reviews).

    Args:
        path: the file.
        text_field: the text column (e.g. "review").
        label_field: the label column.
        extra_fields: other columns to keep (e.g. `("cat",)`); each must be
            present and not blank.
        labels: the allowed labels; None allows any.

    Returns:
        A list of `LabelledText` in file order.

    Raises:
        DataError: no rows, a missing or blank field, or a label not in
            `labels`; the message names the file, line and field.
    """
    rows = tabular.read_rows(path)
    if not rows:
        raise DataError("The file holds no rows", path)
    allowed = None if labels is None else [str(label) for label in labels]
    records = []
    for row in rows:
        text = str(row.require(text_field))
        label = str(row.require(label_field))
        if allowed is not None and label not in allowed:
            raise row.error(f"`{label_field}` must be one of {allowed}. Received: {label!r}", label_field)
        fields = {name: str(row.require(name)) for name in extra_fields}
        records.append(LabelledText(text, label, fields, row.line))
    return records


def collect_labels(path: str | os.PathLike, label_field: str = "label") -> list[str]:
    """The sorted distinct labels (as strings) of a file."""
    return sorted({str(row.require(label_field)) for row in tabular.read_rows(path)})


def encode_table(
    path: str | os.PathLike,
    encoder: Encoder,
    sequence_length: int,
    labels: list | None = None,
    regression: bool = False,
    text_field: str = "text",
    text_b_field: str = "text_b",
    label_field: str = "label",
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Reads and encodes a classification/regression file.

    Args:
        path: the file.
        encoder: a `SentencePieceEncoder` or `WordPieceEncoder`.
        sequence_length: T.
        labels: class names in id order (classification).
        regression: labels are numbers.
        text_field, text_b_field, label_field: field names.

    Returns:
        `(x, y)`: x a dict of int32 `[N, T]` arrays; y int32 `[N]` class
        ids, or float32 `[N, 1]` for regression.

    Raises:
        DataError: no rows, a missing field, or a label that is not a number
            (regression) or not one of `labels`; the message names file,
            line and field.
    """
    index = {name: i for i, name in enumerate(labels or [])}
    rows = tabular.read_rows(path)
    if not rows:
        raise DataError("The file holds no rows", path)
    packed, targets = [], []
    for row in rows:
        text = str(row.require(text_field))
        text_b = row.get(text_b_field)
        label = row.require(label_field)
        ids_b = encoder.encode(str(text_b)) if text_b not in (None, "") else None
        packed.append(pack(encoder.encode(text), ids_b, sequence_length, encoder.special_ids))
        if regression:
            try:
                targets.append([float(label)])
            except (TypeError, ValueError) as e:
                raise row.error(f"`{label_field}` must be a number. Received: {label!r}", label_field) from e
        else:
            if str(label) not in index:
                raise row.error(f"`{label_field}` must be one of {list(index)}. Received: {label!r}", label_field)
            targets.append(index[str(label)])
    tokens, segments, padding = (np.asarray(a, np.int32) for a in zip(*packed, strict=True))
    x = {features.TOKEN_IDS: tokens, features.SEGMENT_IDS: segments, features.PADDING_MASK: padding}
    y = np.asarray(targets, np.float32 if regression else np.int32)
    return x, y
