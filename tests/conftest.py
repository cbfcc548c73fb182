"""Shared test fixtures."""

import pathlib

import pytest

REPO_DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def _sample_documents(max_docs_per_file=60):
    from albert_keras.data import corpus

    documents = []
    for name in ("fortunes/science.txt", "fortunes/computers.txt", "zh/chinese.txt", "zh/tang300.txt"):
        documents.extend(corpus.read_documents(REPO_DATA / name)[:max_docs_per_file])
    return documents


@pytest.fixture(scope="session")
def sample_documents():
    """A small mixed English/Chinese slice of the bundled corpus (list of str)."""
    return _sample_documents()


@pytest.fixture(scope="session")
def spm_vocab_dir(tmp_path_factory):
    """A vocabulary dir (spiece.model, tokenizer.json) trained once per session.

    Trained on the sample slice plus every entry of data/zh/chinese.txt that
    mentions 猫, so the fill-mask example `猫是[MASK]。` has its characters.
    """
    from albert_keras.data import corpus
    from albert_keras.tokenizer import vocab

    documents = _sample_documents()
    documents += [d for d in corpus.read_documents(REPO_DATA / "zh/chinese.txt") if "猫" in d]
    proto = vocab.train_sentencepiece(documents, vocab_size=3000, lowercase=True, seed=0)
    out = tmp_path_factory.mktemp("vocab")
    vocab.write_vocab_dir(out, proto, {"lowercase": True, "strip_accents": True, "seed": 0})
    return out


@pytest.fixture(scope="session")
def spm_encoder(spm_vocab_dir):
    """A `SentencePieceEncoder` for `spm_vocab_dir`."""
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    return SentencePieceEncoder(spm_vocab_dir)


@pytest.fixture(scope="session")
def pretraining_record_files(tmp_path_factory, sample_documents, spm_encoder):
    """Static and dynamic pretraining TFRecords of the sample slice (T=64, P=10).

    Returns a dict with keys "static", "dynamic" (paths) and "stats" (the
    static `RecordStats`).
    """
    from albert_keras.data.pretraining_records import write_pretraining_records

    out = tmp_path_factory.mktemp("records")
    stats = write_pretraining_records(
        sample_documents, spm_encoder, out / "static.tfrecord", max_seq_length=64, max_predictions=10, seed=7
    )
    write_pretraining_records(
        sample_documents, spm_encoder, out / "dynamic.tfrecord", max_seq_length=64, max_predictions=10,
        seed=7, dynamic=True,
    )
    return {"static": out / "static.tfrecord", "dynamic": out / "dynamic.tfrecord", "stats": stats}
