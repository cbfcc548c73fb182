"""Reading text files into `(text, label)` records and raw `tf.Example`s (no TFX import).

Each input file is read by its format:

* ``.csv``: one record per row, columns `text_field` and `label_field`;
* ``.jsonl``/``.json``: one record per JSON object (same fields);
* anything else: `albert_keras.data.corpus` documents (plain text, one
  document per blank-line block, ``%``-separated fortune entries, lines).

Labels: ``none``; ``file`` (the file name without extension, e.g.
``computers`` for ``computers.txt``); or ``field`` (the record's
`label_field`). An empty text is written as a `text` feature without a value
and a missing label as no `label` feature: the curated schema makes both
anomalies.

A record goes to ``eval`` when ``md5(text) % total_buckets <
eval_buckets``, else to ``train``; the same text always lands in the same
split.
"""

import csv
import hashlib
import io
import json
import os

import tensorflow as tf

from albert_keras.data import corpus
from pipeline import features

FILE_NAME = "data_tfrecord-00000-of-00001.gz"


class IngestionError(ValueError):
    """An input file is missing, empty or malformed."""


def _read(path):
    if not tf.io.gfile.exists(path):
        raise IngestionError(f"Input file not found: {path!r}")
    if tf.io.gfile.isdir(path):
        raise IngestionError(f"Input path is a directory, not a file: {path!r}")
    with tf.io.gfile.GFile(path, "rb") as f:
        data = f.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise IngestionError(f"{path}: not valid UTF-8 at byte offset {e.start}") from e
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise IngestionError(f"Input file {path!r} is empty (no text found)")
    return text


def read_records(path, fmt="auto", label="none", text_field="text", label_field="label"):
    """Reads one input file into `(text, label_or_None)` records.

    Args:
        path: the file (local or any `tf.io.gfile` path).
        fmt: "auto" (by suffix and content), "csv", "jsonl", or a corpus
            format of `albert_keras.data.corpus`.
        label: "none", "file" or "field".
        text_field, label_field: column/field names (csv, jsonl).

    Returns:
        A non-empty list of `(text, label)`; label is None when absent.

    Raises:
        IngestionError: a missing, empty or malformed file.
    """
    text = _read(path)
    lower = path.lower()
    if fmt == "auto":
        if lower.endswith(".csv"):
            fmt = "csv"
        else:
            fmt = corpus.detect_format(path, text)
    file_label = os.path.splitext(os.path.basename(path))[0] if label == "file" else None
    records = []
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or text_field not in reader.fieldnames:
            raise IngestionError(f"{path}: CSV has no column {text_field!r} (columns: {reader.fieldnames})")
        for row in reader:
            records.append(((row.get(text_field) or "").strip(), row.get(label_field)))
    elif fmt == "jsonl":
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise IngestionError(f"{path}:{number}: invalid JSON ({e.msg})") from e
            if not isinstance(row, dict):
                raise IngestionError(f"{path}:{number}: expected a JSON object, got {line[:80]!r}")
            value = row.get(text_field)
            records.append(((value if isinstance(value, str) else "").strip(), row.get(label_field)))
    else:
        try:
            documents = corpus.split_documents(text, fmt, path=path)
        except ValueError as e:
            raise IngestionError(str(e)) from e
        records = [(d, None) for d in documents]
    if label == "file":
        records = [(t, file_label) for t, _ in records]
    elif label == "none":
        records = [(t, None) for t, _ in records]
    else:
        records = [(t, None if lab in (None, "") else str(lab)) for t, lab in records]
    if not records:
        raise IngestionError(f"Input file {path!r} holds no records")
    return records


def to_example(text, label=None):
    """The `tf.Example` of one record (an empty text has no value)."""
    feature = {features.TEXT: tf.train.Feature(bytes_list=tf.train.BytesList(
        value=[text.encode("utf-8")] if text else []))}
    if label is not None:
        feature[features.LABEL] = tf.train.Feature(bytes_list=tf.train.BytesList(value=[label.encode("utf-8")]))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def split_of(text, eval_buckets, total_buckets):
    """"train" or "eval", by the md5 of the text."""
    bucket = int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % total_buckets
    return features.EVAL_SPLIT if bucket < eval_buckets else features.TRAIN_SPLIT


def write_examples(records, output_uri, eval_buckets, total_buckets):
    """Writes records into the split dirs under `output_uri`; returns counts per split."""
    by_split = {s: [] for s in features.SPLITS}
    for text, label in records:
        by_split[split_of(text, eval_buckets, total_buckets)].append(to_example(text, label))
    for split, examples in by_split.items():
        if not examples:
            raise IngestionError(
                f"Split {split!r} got no examples from {len(records)} records: give more text or "
                f"change ingest.eval_buckets/total_buckets"
            )
        directory = os.path.join(output_uri, f"Split-{split}")
        tf.io.gfile.makedirs(directory)
        with tf.io.TFRecordWriter(os.path.join(directory, FILE_NAME), options="GZIP") as writer:
            for example in examples:
                writer.write(example.SerializeToString())
    return {s: len(e) for s, e in by_split.items()}


