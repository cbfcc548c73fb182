"""The pipeline's text ingestion (`pipeline.components.text_reading`): formats, labels, split, errors.

Moved from tests/test_pipeline_config.py; no TFX import.
"""

import gzip
import os

import pytest
import tensorflow as tf

from albert_keras.data.errors import DataError
from pipeline.components import text_reading

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ingestion_reader_fails_clearly_on_missing_and_empty_files(tmp_path):
    with pytest.raises(DataError, match=r"Input file not found \(.*missing\.txt\)"):
        text_reading.read_records(str(tmp_path / "missing.txt"))
    (tmp_path / "blank.txt").write_text("\n  \n")
    with pytest.raises(DataError, match=r"is empty .*\(.*blank\.txt\)"):
        text_reading.read_records(str(tmp_path / "blank.txt"))
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\n{broken\n')
    with pytest.raises(DataError, match=r"Invalid JSON: .*\(.*bad\.jsonl, line 2\)"):
        text_reading.read_records(str(tmp_path / "bad.jsonl"))
    (tmp_path / "nocol.csv").write_text("body,label\nhello,x\n")
    with pytest.raises(DataError, match=r"`text` must be a column\. Received columns: \['body', 'label'\]"):
        text_reading.read_records(str(tmp_path / "nocol.csv"))


def test_ingestion_formats_labels_and_split(tmp_path):
    food = os.path.join(REPO, "data/fortunes/food.txt")
    records = text_reading.read_records(food, label="file")
    assert len(records) > 100 and all(label == "food" for _, label in records)
    assert all(text and "\n%\n" not in text for text, _ in records)
    (tmp_path / "a.csv").write_text("text,label\nhello there,x\n,y\nno label,\n")
    assert text_reading.read_records(str(tmp_path / "a.csv"), label="field") == [
        ("hello there", "x"), ("", "y"), ("no label", None)]
    (tmp_path / "b.jsonl").write_text('{"text": "一只猫", "label": "zh"}\n{"text": ""}\n')
    assert text_reading.read_records(str(tmp_path / "b.jsonl"), label="field") == [("一只猫", "zh"), ("", None)]

    out = tmp_path / "examples"
    counts = text_reading.write_examples(records, str(out), eval_buckets=3, total_buckets=10)
    assert counts["train"] + counts["eval"] == len(records) and counts["eval"] > 0
    texts = {}
    for split in ("train", "eval"):
        path = out / f"Split-{split}" / text_reading.FILE_NAME
        with gzip.open(path):
            pass  # GZIP as ExampleGen writes it
        for record in tf.data.TFRecordDataset(str(path), compression_type="GZIP").as_numpy_iterator():
            ex = tf.train.Example.FromString(record)
            text = ex.features.feature["text"].bytes_list.value[0].decode()
            assert ex.features.feature["label"].bytes_list.value == [b"food"]
            assert text_reading.split_of(text, 3, 10) == split
            texts[text] = split
    assert len(texts) == len(set(t for t, _ in records))
    empty = text_reading.to_example("", None)
    assert list(empty.features.feature["text"].bytes_list.value) == [] and "label" not in empty.features.feature


def test_quoted_csv_and_tsv_with_bom_go_through_the_shared_reader(tmp_path):
    # A Chinese review holding ASCII commas, doubled quotes and a newline, in a BOM-prefixed CRLF file.
    review = '很好，但是, 有点贵 "真的"\n第二行'
    (tmp_path / "reviews.csv").write_bytes(
        ("\ufefftext,label\r\n" + '"很好，但是, 有点贵 ""真的""\r\n第二行",pos\r\nok,neg\r\n').encode("utf-8"))
    assert text_reading.read_records(str(tmp_path / "reviews.csv"), label="field") == [(review, "pos"), ("ok", "neg")]
    (tmp_path / "reviews.tsv").write_text("label\ttext\npos\ta, b, c\n", encoding="utf-8")
    assert text_reading.read_records(str(tmp_path / "reviews.tsv"), label="field") == [("a, b, c", "pos")]
    (tmp_path / "short.csv").write_text("text,label\nfine,x\nonly one field with \"quote\n")
    with pytest.raises(DataError, match=r"\(.*short\.csv, line 3\)"):
        text_reading.read_records(str(tmp_path / "short.csv"))
