"""The fine-tuning readers (`albert_keras.data.readers`) on the shared reader, and `albert_keras.data.packing`."""

import json

import numpy as np
import pytest

from albert_keras import features
from albert_keras.data.errors import DataError
from albert_keras.data.packing import pack, truncate_pair
from albert_keras.data.readers import conll, multiple_choice, table
from albert_keras.tokenizer.special_ids import SENTENCEPIECE

CLS, SEP = features.CLS_ID, features.SEP_ID


class WordEncoder:
    """A stand-in `SentencePieceEncoder`: one id per whitespace word (5 + its length)."""

    special_ids = SENTENCEPIECE

    def encode(self, text):
        return [5 + len(word) for word in text.split()]


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_pack_lays_out_cls_a_sep_b_sep_and_truncates_the_longer_segment():
    tokens, segments, padding = pack([10, 11, 12, 13], [20, 21], sequence_length=8)
    # Budget 8 - 3 = 5: A (4) is longer than B (2), so A loses its last id.
    assert tokens == [CLS, 10, 11, 12, SEP, 20, 21, SEP]
    assert segments == [0, 0, 0, 0, 0, 1, 1, 1]
    assert padding == [1] * 8
    tokens, segments, padding = pack([10, 11], None, sequence_length=6)
    assert (tokens, segments, padding) == ([CLS, 10, 11, SEP, 0, 0], [0] * 6, [1, 1, 1, 1, 0, 0])
    assert truncate_pair([1, 2], [3, 4], 3) == ([1, 2], [3])  # a tie cuts B


def test_table_reader_packs_quoted_csv_and_names_a_bad_label(tmp_path):
    path = _write(tmp_path, "t.csv", 'text,text_b,label\n"a b, c",,pos\n"one ""two""","x y",neg\n')
    x, y = table.encode_table(path, WordEncoder(), 8, labels=["neg", "pos"])
    np.testing.assert_array_equal(y, [1, 0])
    assert x[features.TOKEN_IDS][0].tolist() == [features.CLS_ID, 6, 7, 6, features.SEP_ID, 0, 0, 0]
    assert x[features.SEGMENT_IDS][1].tolist() == [0, 0, 0, 0, 1, 1, 1, 0]
    assert table.collect_labels(path) == ["neg", "pos"]
    with pytest.raises(DataError, match=r"^`label` must be one of \['neg'\]\. Received: 'pos' \(.*t\.csv, line 2\)$"):
        table.encode_table(path, WordEncoder(), 8, labels=["neg"])
    with pytest.raises(DataError, match=r"^`label` must be a number\. Received: 'pos' \(.*t\.csv, line 2\)$"):
        table.encode_table(path, WordEncoder(), 8, regression=True)
    with pytest.raises(DataError, match=r"`sentence` is missing.*\(.*t\.csv, line 2\)"):
        table.encode_table(path, WordEncoder(), 8, labels=["neg", "pos"], text_field="sentence")


def test_multiple_choice_reader_names_field_and_line(tmp_path):
    good = {"question": "q", "choices": ["a", "b c"], "label": 1}
    path = _write(tmp_path, "mc.jsonl", json.dumps(good) + "\n")
    x, y = multiple_choice.encode_multiple_choice(path, WordEncoder(), 6)
    assert x[features.TOKEN_IDS].shape == (1, 2, 6) and y.tolist() == [1]
    lines = [json.dumps(good), json.dumps({"question": "q", "label": 0})]
    path = _write(tmp_path, "mc.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"`choices` is missing.*\(.*mc\.jsonl, line 2\)") as e:
        multiple_choice.encode_multiple_choice(path, WordEncoder(), 6)
    assert e.value.field == "choices"
    path = _write(tmp_path, "mc.jsonl", json.dumps(dict(good, label=2)) + "\n")
    with pytest.raises(DataError, match=r"`label` must be an int in \[0, 2\)\. Received: 2 \(.*mc\.jsonl, line 1\)"):
        multiple_choice.encode_multiple_choice(path, WordEncoder(), 6)


def test_conll_reader_names_the_line(tmp_path):
    path = _write(tmp_path, "ner.txt", "\ufeff-DOCSTART- O\n\nParis B-LOC\nis O\n\nlonely\n")
    with pytest.raises(DataError, match=r"'word \.\.\. tag'\. Received: 'lonely' \(.*ner\.txt, line 6\)"):
        conll.read_conll(path)
    path = _write(tmp_path, "ner.txt", "\ufeff-DOCSTART- O\n\nParis B-LOC\nis O\n")
    assert conll.read_conll(path) == [(["Paris", "is"], ["B-LOC", "O"])]
