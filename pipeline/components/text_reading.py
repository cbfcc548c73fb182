"""Reading text files into `(text, label)` records and raw `tf.Example`s (no TFX import).

Each input file is read by its format:

* ``.csv`` / ``.tsv``: one record per row, columns `text_field` and
  `label_field` (`albert_keras.data.tabular`: quoted fields may hold commas,
  quotes and newlines);
* ``.jsonl``/``.json``: one record per JSON object (same fields);
* anything else: `albert_keras.data.corpus` documents (plain text, one
  document per blank-line block, ``%``-separated fortune entries, lines).

Labels: ``none``; ``file`` (the file name without extension, e.g.
``computers`` for ``computers.txt``); or ``field`` (the record's
`label_field`). An empty text is written as a `text` feature without a value
and a missing label as no `label` feature: the curated schema makes both
anomalies.

A record goes to ``eval`` when ``md5(text) % total_buckets <
eval_buckets``, else to ``train`` (`albert_keras.data.splits.split_of`, the
one copy of the rule); the same text always lands in the same split. A missing, empty or malformed file raises
`albert_keras.data.errors.DataError` naming the file (and line and field).
"""

import os

import tensorflow as tf

from albert_keras.data import corpus, splits, tabular
from albert_keras.data.errors import DataError
from pipeline import features

FILE_NAME = "data_tfrecord-00000-of-00001.gz"


def _read(path):
    if not tf.io.gfile.exists(path):
        raise DataError("Input file not found", path)
    if tf.io.gfile.isdir(path):
        raise DataError("The input path must be a file, not a directory", path)
    with tf.io.gfile.GFile(path, "rb") as f:
        text = tabular.decode_text(f.read(), path)
    if not text.strip():
        raise DataError("The input file is empty (no text found)", path)
    return text


def read_records(path: str, fmt: str = "auto", label: str = "none", text_field: str = "text",
                 label_field: str = "label") -> list[tuple[str, str | None]]:
    """Reads one input file into `(text, label_or_None)` records.

    Args:
        path: the file (local or any `tf.io.gfile` path).
        fmt: "auto" (by suffix and content), "csv", "tsv", "jsonl", or a
            corpus format of `albert_keras.data.corpus`.
        label: "none", "file" or "field".
        text_field, label_field: column/field names (csv, tsv, jsonl).

    Returns:
        A non-empty list of `(text, label)`; label is None when absent.

    Raises:
        DataError: a missing, empty or malformed file.
    """
    text = _read(path)
    if fmt == "auto":
        fmt = tabular.format_of(path) or corpus.detect_format(path, text)
    file_label = os.path.splitext(os.path.basename(path))[0] if label == "file" else None
    if fmt in tabular.FORMATS:
        rows = tabular.parse_rows(text, path, fmt)
        if fmt != "jsonl" and rows and text_field not in rows[0].values:
            raise DataError(
                f"`{text_field}` must be a column. Received columns: {list(rows[0].values)}", path, 1, text_field
            )
        records = []
        for row in rows:
            value = row.get(text_field)
            records.append(((value if isinstance(value, str) else "").strip(), row.get(label_field)))
    else:
        records = [(d, None) for d in corpus.split_documents(text, fmt, path=path)]
    if label == "file":
        records = [(t, file_label) for t, _ in records]
    elif label == "none":
        records = [(t, None) for t, _ in records]
    else:
        records = [(t, None if lab in (None, "") else str(lab)) for t, lab in records]
    if not records:
        raise DataError("The input file holds no records", path)
    return records


def to_example(text: str, label: str | None = None) -> tf.train.Example:
    """The `tf.Example` of one record (an empty text has no value)."""
    feature = {features.TEXT: tf.train.Feature(bytes_list=tf.train.BytesList(
        value=[text.encode("utf-8")] if text else []))}
    if label is not None:
        feature[features.LABEL] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[label.encode("utf-8")]))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def split_of(text: str, eval_buckets: int, total_buckets: int) -> str:
    """"train" or "eval", by the md5 of the text (`albert_keras.data.splits.split_of`)."""
    return splits.split_of(text, eval_buckets, total_buckets)


def write_examples(
    records: list[tuple[str, str | None]], output_uri: str, eval_buckets: int, total_buckets: int
) -> dict[str, int]:
    """Writes records into the split dirs under `output_uri`; returns counts per split."""
    by_split = {s: [] for s in features.SPLITS}
    for text, label in records:
        by_split[split_of(text, eval_buckets, total_buckets)].append(to_example(text, label))
    for split, examples in by_split.items():
        if not examples:
            raise DataError(
                f"Split {split!r} got no examples from {len(records)} records: give more text or "
                f"change ingest.eval_buckets/total_buckets"
            )
        directory = os.path.join(output_uri, f"Split-{split}")
        tf.io.gfile.makedirs(directory)
        with tf.io.TFRecordWriter(os.path.join(directory, FILE_NAME), options="GZIP") as writer:
            for example in examples:
                writer.write(example.SerializeToString())
    return {s: len(e) for s, e in by_split.items()}


