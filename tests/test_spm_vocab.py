"""The tiny committed SentencePiece vocabulary (`tests/data/spm/`): exact ids, and how it is made.

The ids below were computed once with this model and checked by eye: text is
lowercased, accents are stripped (`café` → `ca f e`), full-width forms fold
to ASCII (SentencePiece's NFKC rule), LaTeX quotes become `"`, the literal
`[CLS]`/`[SEP]`/`[MASK]` become ids 2/3/4 in place, text glued to a special
token (no space between) gets no `▁` (`[CLS]Hello` → `[CLS] h ell o`, as
after `[MASK]` in `猫是[MASK]。`), and a character outside
the vocabulary is `<unk>` (1). Regenerate the model with
`tests/data/make_spm.py`; then these ids must be recomputed.
"""

import importlib.util
import pathlib

import pytest
import tensorflow as tf

from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

SPM_DIR = pathlib.Path(__file__).resolve().parent / "data" / "spm"

EXPECTED = [
    ("猫是[MASK]。", [5, 242, 134, 4, 25], ["▁", "猫", "是", "[MASK]", "。"]),
    ("猫是动物。", [5, 242, 134, 462, 632, 25], ["▁", "猫", "是", "动", "物", "。"]),
    ("The computer is a machine.", [7, 68, 17, 10, 109, 62, 80, 15, 9],
     ["▁the", "▁computer", "▁is", "▁a", "▁ma", "ch", "in", "e", "."]),
    ("Café naïve résumé", [5, 156, 286, 15, 5, 27, 43, 24, 78, 223, 8, 42, 44, 15],
     ["▁", "ca", "f", "e", "▁", "n", "a", "i", "ve", "▁re", "s", "u", "m", "e"]),
    ("In 1969, 42 people.", [29, 30, 399, 225, 399, 6, 5, 120, 64, 92, 15, 54, 524, 9],
     ["▁in", "▁1", "9", "6", "9", ",", "▁", "4", "2", "▁p", "e", "o", "ple", "."]),
    ("[CLS]Hello World[SEP] cats [MASK]", [2, 72, 391, 54, 519, 116, 3, 153, 48, 8, 4],
     ["[CLS]", "h", "ell", "o", "▁wor", "ld", "[SEP]", "▁c", "at", "s", "[MASK]"]),
    ("ＡＢＣ１２３，", [10, 70, 56, 143, 64, 169, 6], ["▁a", "b", "c", "1", "2", "3", ","]),
    ("Ünïcödé  ``x''", [373, 168, 54, 166, 36, 117, 79], ["▁un", "ic", "o", "de", "▁\"", "x", "\""]),
    ("龘", [5, 1], ["▁", "<unk>"]),
    ("", [], []),
]


@pytest.fixture(scope="module")
def tokenizer():
    return AlbertTokenizer(SPM_DIR)


@pytest.mark.parametrize("text, ids, pieces", EXPECTED, ids=[t or "empty" for t, _, _ in EXPECTED])
def test_exact_ids_in_graph_and_in_python(tokenizer, text, ids, pieces):
    assert tokenizer(tf.constant([text])).to_list()[0] == ids
    encoder = SentencePieceEncoder(SPM_DIR)
    assert encoder.encode(text) == ids
    assert [encoder.id_to_piece(i) for i in ids] == pieces


def test_make_spm_reproduces_the_committed_model(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_spm", SPM_DIR.parent / "make_spm.py")
    make_spm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_spm)
    monkeypatch.setattr(make_spm, "OUTPUT_DIR", tmp_path)
    assert make_spm.main() == 0
    assert (tmp_path / "spiece.model").read_bytes() == (SPM_DIR / "spiece.model").read_bytes()
    assert (tmp_path / "tokenizer.json").read_text() == (SPM_DIR / "tokenizer.json").read_text()
