import json
import pathlib

import pytest

from albert_keras.data import corpus
from albert_keras.data.errors import DataError

REPO_DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def test_fortune_file_is_detected_and_split_on_percent_lines():
    path = REPO_DATA / "fortunes" / "science.txt"
    docs = corpus.read_documents(path)
    raw = path.read_text(encoding="utf-8")
    entries = [e for e in raw.split("\n%\n") if e.strip() and e.strip() != "%"]
    assert len(docs) == len(entries)
    assert docs[0] == "1 + 1 = 3, for large values of 1."
    assert all("\n%\n" not in d and d.strip() != "%" for d in docs)


def test_plain_text_blocks_and_lines(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("First doc line one.\nLine two.\n\n\nSecond doc.\n  \nThird.\n", encoding="utf-8")
    assert corpus.read_documents(path) == ["First doc line one.\nLine two.", "Second doc.", "Third."]
    assert corpus.read_documents(path, "lines") == ["First doc line one.", "Line two.", "Second doc.", "Third."]


def test_jsonl_reads_text_field(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps({"text": t, "id": i}) for i, t in enumerate(["猫是动物。", "b"])) + "\n",
                    encoding="utf-8")
    assert corpus.read_documents(path) == ["猫是动物。", "b"]


def test_jsonl_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{not json\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"^Invalid JSON: .* \(.*bad\.jsonl, line 2\)$"):
        corpus.read_documents(path)
    path.write_text('{"body": "no text field"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"^`text` must be a string\. Received: None \(.*bad\.jsonl, line 1\)$") as e:
        corpus.read_documents(path)
    assert (e.value.line, e.value.field) == (1, "text")


@pytest.mark.parametrize("content", ["", "\n\n  \n", "%\n%\n"])
def test_empty_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=r"holds no text \(.*empty\.txt\)"):
        corpus.read_documents(path)


def test_non_utf8_names_file_and_byte_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("héllo".encode() + b"\n" + "café".encode("latin-1"))
    # "héllo" is 6 bytes, then "\n", "caf" -> the bad byte is at offset 10.
    with pytest.raises(DataError, match=r"must be UTF-8\. Received bytes .* at byte offset 10 .*\(.*latin1\.txt\)"):
        corpus.read_documents(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"not found \(.*nope\.txt\)"):
        corpus.read_documents(tmp_path / "nope.txt")


def test_read_corpus_concatenates_files_in_order(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("one\n%\ntwo\n", encoding="utf-8")
    b.write_text("three\n", encoding="utf-8")
    assert corpus.read_corpus([a, b]) == ["one", "two", "three"]
