"""Shared test fixtures."""

import pathlib
import shutil

import pytest

REPO_DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
TEST_SPM_DIR = pathlib.Path(__file__).resolve().parent / "data" / "spm"


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
    """A vocabulary dir (spiece.model, tokenizer.json): a copy of the committed tiny model.

    `tests/data/spm/` holds a 1000-piece model made by `tests/data/make_spm.py`
    from a slice of the bundled corpus that includes the characters of the
    fill-mask example `猫是[MASK]。`. The copy lets a test add or remove files.
    """
    out = tmp_path_factory.mktemp("vocab")
    for name in ("spiece.model", "tokenizer.json"):
        shutil.copyfile(TEST_SPM_DIR / name, out / name)
    return out


@pytest.fixture(scope="session")
def spm_encoder(spm_vocab_dir):
    """A `SentencePieceEncoder` for `spm_vocab_dir`."""
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    return SentencePieceEncoder(spm_vocab_dir)


@pytest.fixture(scope="session")
def corpus_vocab_dir(tmp_path_factory, sample_documents):
    """A 3000-piece vocabulary dir trained on the sample slice, so it covers every character there.

    Only for tests whose assertions need that coverage (no `<unk>` in the
    records of `pretraining_record_files`); the sample has 2214 distinct
    characters, more than the committed tiny model holds. Other tests use
    `spm_vocab_dir`.
    """
    from albert_keras.tokenizer import vocab

    proto = vocab.train_sentencepiece(sample_documents, vocab_size=3000, lowercase=True, seed=0)
    out = tmp_path_factory.mktemp("corpus_vocab")
    vocab.write_vocab_dir(out, proto, {"lowercase": True, "strip_accents": True, "seed": 0})
    return out


@pytest.fixture(scope="session")
def pretraining_record_files(tmp_path_factory, sample_documents, corpus_vocab_dir):
    """Static and dynamic pretraining TFRecords of the sample slice (T=64, P=10).

    Tokenized with `corpus_vocab_dir` (3000 pieces, no `<unk>` on the slice).

    Returns a dict with keys "static", "dynamic" (paths) and "stats" (the
    static `RecordStats`).
    """
    from albert_keras.data.pretraining_records import write_pretraining_records
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    spm_encoder = SentencePieceEncoder(corpus_vocab_dir)
    out = tmp_path_factory.mktemp("records")
    stats = write_pretraining_records(
        sample_documents, spm_encoder, out / "static.tfrecord", max_seq_length=64, max_predictions=10, seed=7
    )
    write_pretraining_records(
        sample_documents, spm_encoder, out / "dynamic.tfrecord", max_seq_length=64, max_predictions=10,
        seed=7, dynamic=True,
    )
    return {"static": out / "static.tfrecord", "dynamic": out / "dynamic.tfrecord", "stats": stats}


# === Longest files first ===
# `make test` runs two xdist workers a file at a time (`--dist loadfile --no-loadscope-reorder`): the
# wall time is the busier worker's, so the longest files start first and the short ones fill in
# (longest-processing-time-first). `tests/durations.json` holds seconds per file, measured by a run with
# ALBERT_TEST_DURATIONS=tests/durations.json; a file missing from it runs after the listed ones.

DURATIONS_FILE = pathlib.Path(__file__).resolve().parent / "durations.json"
_file_seconds = {}


def _test_file(nodeid):
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    import json

    try:
        seconds = json.loads(DURATIONS_FILE.read_text())
    except (OSError, ValueError):
        return
    files = list(dict.fromkeys(_test_file(item.nodeid) for item in items))
    rank = {f: (-seconds.get(f, 0.0), i) for i, f in enumerate(files)}
    items.sort(key=lambda item: rank[_test_file(item.nodeid)])


def pytest_runtest_logreport(report):
    _file_seconds[_test_file(report.nodeid)] = _file_seconds.get(_test_file(report.nodeid), 0.0) + report.duration


def pytest_sessionfinish(session):
    import json
    import os

    target = os.environ.get("ALBERT_TEST_DURATIONS")
    if target and not hasattr(session.config, "workerinput") and _file_seconds:  # the xdist controller
        pathlib.Path(target).write_text(json.dumps(
            {f: round(s, 1) for f, s in sorted(_file_seconds.items(), key=lambda kv: -kv[1])}, indent=1) + "\n")
