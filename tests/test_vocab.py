import argparse
import json

import pytest
import sentencepiece as spm

from albert_keras import features
from albert_keras.commands import vocab as vocab_command
from albert_keras.tokenizer import vocab


def test_special_ids_and_no_bos_eos(spm_vocab_dir):
    sp = spm.SentencePieceProcessor(model_file=str(spm_vocab_dir / vocab.MODEL_FILE))
    assert [sp.id_to_piece(i) for i in range(5)] == list(features.SPECIAL_TOKENS)
    assert (sp.pad_id(), sp.unk_id(), sp.bos_id(), sp.eos_id()) == (0, 1, -1, -1)
    assert sp.get_piece_size() == 1000  # the committed tests/data/spm model
    # Control symbols never come out of plain text.
    assert features.MASK_ID not in sp.encode("[MASK] [CLS] [SEP]")


def test_chinese_characters_are_covered(spm_vocab_dir):
    sp = spm.SentencePieceProcessor(model_file=str(spm_vocab_dir / vocab.MODEL_FILE))
    for char in "猫是":
        assert sp.piece_to_id(char) != features.UNK_ID, char
    assert features.UNK_ID not in sp.encode("猫是动物。")


def test_same_seed_gives_identical_model_bytes(sample_documents):
    docs = sample_documents[:120]
    first = vocab.train_sentencepiece(docs, 1200, seed=3)
    second = vocab.train_sentencepiece(docs, 1200, seed=3)
    assert first == second
    assert vocab.train_sentencepiece(docs, 1300, seed=3) != first


def test_lowercase_option_is_applied_and_recorded(spm_vocab_dir):
    sp = spm.SentencePieceProcessor(model_file=str(spm_vocab_dir / vocab.MODEL_FILE))
    pieces = [sp.id_to_piece(i) for i in range(5, sp.get_piece_size())]
    assert not any(p.lower() != p for p in pieces)
    options = vocab.read_vocab_options(spm_vocab_dir)
    assert options["lowercase"] is True and options["vocab_size"] == 1000


def test_too_small_vocab_is_a_clear_error(sample_documents):
    with pytest.raises(ValueError, match="vocab_size"):
        vocab.train_sentencepiece(sample_documents, 5)
    with pytest.raises(ValueError, match="could not train a 300-piece vocabulary"):
        vocab.train_sentencepiece(sample_documents, 300)


def test_cli_writes_model_vocab_and_options(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    lines = [f"Line number {i} says Hello to the World, {i * 7} times." for i in range(300)]
    corpus.write_text("\n%\n".join(lines) + "\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    vocab_command.register(parser.add_subparsers())
    out = tmp_path / "vocab"
    args = parser.parse_args(
        ["vocab", "--input", str(corpus), "--vocab-size", "60", "--output", str(out), "--lowercase", "--seed", "1"]
    )
    assert args.func(args) == 0
    sp = spm.SentencePieceProcessor(model_file=str(out / "spiece.model"))
    assert sp.get_piece_size() == 60
    assert len((out / "spiece.vocab").read_text(encoding="utf-8").splitlines()) == 60
    config = json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))
    assert config["lowercase"] is True and config["strip_accents"] is True and config["seed"] == 1
    assert "read 300 documents" in capsys.readouterr().err


def test_cli_reports_a_bad_corpus_file_and_exits_2(tmp_path, capsys):
    from albert_keras.cli import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{broken\n', encoding="utf-8")
    code = main(["vocab", "--input", str(bad), "--vocab-size", "50", "--output", str(tmp_path / "v")])
    assert code == 2
    err = capsys.readouterr().err
    assert "albert vocab: error: Invalid JSON" in err and f"({bad}, line 2)" in err
    assert not (tmp_path / "v").exists()
