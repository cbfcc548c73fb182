"""The one CSV/TSV/JSONL reader (`albert_keras.data.tabular`) and `DataError`."""

import pickle

import pytest

from albert_keras.data import tabular
from albert_keras.data.errors import DataError


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(path)


def test_csv_quoted_fields_hold_commas_quotes_and_newlines(tmp_path):
    # Chinese reviews hold ASCII commas and quotes; a quoted field may span lines.
    path = _write(tmp_path, "reviews.csv", (
        'text,label\n'
        '"好吃, 但是""太贵""了",neg\n'
        '"第一行\n第二行, 还有",pos\n'
        'plain,pos\n'
    ))
    rows = tabular.read_rows(path)
    assert [r.values for r in rows] == [
        {"text": '好吃, 但是"太贵"了', "label": "neg"},
        {"text": "第一行\n第二行, 还有", "label": "pos"},
        {"text": "plain", "label": "pos"},
    ]
    # Each row knows the line it starts on: the two-line record pushes "plain" to line 5.
    assert [r.line for r in rows] == [2, 3, 5]
    assert {r.path for r in rows} == {path}


def test_tsv_splits_on_tabs_only(tmp_path):
    path = _write(tmp_path, "pairs.tsv", "text\ttext_b\tlabel\na, b\tc, d\t1\n\n\"x\ty\"\tz\t0\n")
    rows = tabular.read_rows(path)
    assert [r.values for r in rows] == [
        {"text": "a, b", "text_b": "c, d", "label": "1"},
        {"text": "x\ty", "text_b": "z", "label": "0"},
    ]
    assert [r.line for r in rows] == [2, 4]  # the blank line 3 is skipped


def test_bom_and_crlf_are_dropped(tmp_path):
    path = _write(tmp_path, "bom.csv", b"\xef\xbb\xbftext,label\r\nhello,x\r\n")
    (row,) = tabular.read_rows(path)
    assert row.values == {"text": "hello", "label": "x"}  # not "\ufefftext"
    jsonl = _write(tmp_path, "bom.jsonl", b'\xef\xbb\xbf{"text": "a"}\r\n{"text": "b"}\r\n')
    assert [r.values["text"] for r in tabular.read_rows(jsonl)] == ["a", "b"]


def test_jsonl_bad_line_names_file_and_line(tmp_path):
    path = _write(tmp_path, "train.jsonl", '{"text": "ok"}\n\n{"text": "cut\n')
    with pytest.raises(DataError, match=r"^Invalid JSON: .* \(.*train\.jsonl, line 3\)$") as e:
        tabular.read_rows(path)
    assert (e.value.path, e.value.line) == (path, 3)
    path = _write(tmp_path, "list.jsonl", '{"text": "ok"}\n["not", "an", "object"]\n')
    with pytest.raises(DataError, match=r"must be a JSON object\. Received: .*\(.*list\.jsonl, line 2\)"):
        tabular.read_rows(path)


def test_missing_field_names_the_field_file_and_line(tmp_path):
    path = _write(tmp_path, "train.csv", "text,label\nfine,pos\n,neg\n")
    rows = tabular.read_rows(path)
    assert rows[0].require("text") == "fine"
    with pytest.raises(DataError, match=r"^`text` is empty\. .* \(.*train\.csv, line 3\)$") as e:
        rows[1].require("text")
    assert e.value.field == "text"
    with pytest.raises(DataError, match=r"^`text_b` is missing\. Received fields: \['label', 'text'\]"):
        rows[0].require("text_b")
    jsonl = _write(tmp_path, "n.jsonl", '{"text": 3}\n')
    with pytest.raises(DataError, match=r"`text` must be a str\. Received: 3 \(.*n\.jsonl, line 1\)"):
        tabular.read_rows(jsonl)[0].require("text", str)


def test_csv_structure_errors_name_the_line(tmp_path):
    path = _write(tmp_path, "short.csv", "text,label\nok,pos\nno label here\n")
    with pytest.raises(DataError, match=r"must have 2 fields.*Received 1: \['no label here'\] \(.*short\.csv, line 3"):
        tabular.read_rows(path)
    path = _write(tmp_path, "open.csv", 'text,label\nok,pos\n"never closed,pos\n')
    with pytest.raises(DataError, match=r"^Malformed quoting: .*\(.*open\.csv, line 3\)$"):
        tabular.read_rows(path)
    path = _write(tmp_path, "dup.csv", "text,text\na,b\n")
    with pytest.raises(DataError, match=r"header must name every column once.*\(.*dup\.csv, line 1\)"):
        tabular.read_rows(path)


def test_file_level_errors(tmp_path):
    with pytest.raises(DataError, match=r"^File not found \(.*nope\.csv\)$"):
        tabular.read_rows(tmp_path / "nope.csv")
    with pytest.raises(DataError, match=r"extension must be one of .*Received: '\.xml'"):
        tabular.read_rows(_write(tmp_path, "a.xml", "<a/>"))
    bad = _write(tmp_path, "latin.csv", b"text\ncaf" + "é".encode("latin-1") + b"\n")
    with pytest.raises(DataError, match=r"must be UTF-8\. Received bytes b'\\xe9.*byte offset 8"):
        tabular.read_rows(bad)
    assert tabular.format_of("x/Train.JSON") == "jsonl" and tabular.format_of("a.txt") is None


def test_data_error_is_a_value_error_and_pickles():
    error = DataError("`label` must be one of ['a']. Received: 'x'", "data/train.csv", 12, "label")
    assert isinstance(error, ValueError)
    assert str(error) == "`label` must be one of ['a']. Received: 'x' (data/train.csv, line 12)"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped in memory
    assert (str(copy), copy.path, copy.line, copy.field) == (str(error), "data/train.csv", 12, "label")
    assert str(DataError("No rows", "a.csv")) == "No rows (a.csv)" and str(DataError("Bad")) == "Bad"


def test_gzipped_csv_reads_like_the_plain_file(tmp_path):
    import gzip

    content = 'review,label\n"好吃，但是送得慢",negative\n'
    path = _write(tmp_path, "reviews.csv.gz", gzip.compress(content.encode("utf-8")))
    assert tabular.format_of(path) == "csv"
    rows = tabular.parse_rows(tabular.read_text(path), path, "csv")
    assert [r.values for r in rows] == [{"review": "好吃，但是送得慢", "label": "negative"}]
    broken = _write(tmp_path, "cut.csv.gz", gzip.compress(content.encode("utf-8"))[:-6])
    with pytest.raises(DataError, match=r"complete gzip stream.*cut\.csv\.gz"):
        tabular.read_text(broken)
