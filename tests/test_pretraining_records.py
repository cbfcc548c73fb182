import argparse

import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.commands import make_pretraining_data
from albert_keras.data.pretraining_records import dynamic_feature_spec, static_feature_spec, write_pretraining_records


def _parse(path, spec):
    records = list(tf.data.TFRecordDataset(str(path)).as_numpy_iterator())
    return tf.io.parse_example(tf.constant(records), spec)


def test_same_seed_gives_identical_bytes(tmp_path, sample_documents, spm_encoder):
    docs = sample_documents[:80]
    paths = [tmp_path / f"{i}.tfrecord" for i in range(3)]
    for path, seed in zip(paths, (1, 1, 2), strict=False):
        write_pretraining_records(docs, spm_encoder, path, max_seq_length=48, max_predictions=8, seed=seed)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_static_records_have_the_original_layout(pretraining_record_files, spm_encoder):
    ex = {k: v.numpy() for k, v in _parse(pretraining_record_files["static"], static_feature_spec(64, 10)).items()}
    stats = pretraining_record_files["stats"]
    assert len(ex["input_ids"]) == stats.examples > 100
    lengths = ex["input_mask"].sum(1)
    assert np.all(ex["input_ids"][:, 0] == features.CLS_ID)
    assert np.all(ex["input_ids"][np.arange(len(lengths)), lengths - 1] == features.SEP_ID)
    assert np.all(ex["input_ids"][ex["input_mask"] == 0] == 0)
    assert np.all(ex["segment_ids"][ex["input_mask"] == 0] == 0)
    assert set(np.unique(ex["next_sentence_labels"])) == {0, 1}
    weights = ex["masked_lm_weights"]
    assert stats.masked_tokens == weights.sum()
    assert np.all(ex["masked_lm_positions"][weights == 0] == 0) and np.all(ex["masked_lm_ids"][weights == 0] == 0)
    budgets = [min(10, max(1, round(n * 0.15))) for n in lengths]
    for row in range(len(lengths)):
        pos = ex["masked_lm_positions"][row][weights[row] > 0]
        assert np.all(pos < lengths[row]) and np.all(pos > 0)
        assert len(pos) <= budgets[row]
    # Whole words (some very long, e.g. rules of box-drawing characters) may
    # leave a budget unfilled, but rarely.
    assert weights.sum() > 0.95 * sum(budgets)
    assert stats.skipped_documents > 0


def test_dynamic_records_hold_unmasked_ids_and_word_starts(pretraining_record_files):
    ex = {k: v.numpy() for k, v in _parse(pretraining_record_files["dynamic"], dynamic_feature_spec(64)).items()}
    ids, starts = ex["input_ids"], ex["word_starts"]
    special = np.isin(ids, [0, 2, 3, 4])
    assert np.all(starts[special] == 0)
    real = (ex["input_mask"] == 1) & ~special
    assert starts[real].mean() > 0.4  # most pieces of this corpus start a word
    assert np.all(starts[:, 1] == 1)  # the first token after [CLS]


def test_short_documents_are_skipped_and_counted(tmp_path, spm_encoder):
    docs = ["Only one sentence here", "First sentence. Second sentence.", "猫是动物。狗也是。"]
    stats = write_pretraining_records(docs, spm_encoder, tmp_path / "x.tfrecord", max_seq_length=32,
                                      max_predictions=5, seed=0)
    assert stats.documents == 3 and stats.skipped_documents == 1 and stats.examples == 2


def test_cli_reports_counts_and_skips(tmp_path, spm_vocab_dir, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("One. Two. Three.\n%\nalone\n%\n猫是动物。狗也是。\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    make_pretraining_data.register(parser.add_subparsers())
    out = tmp_path / "out.tfrecord"
    args = parser.parse_args(["make-pretraining-data", "--input", str(corpus), "--spm",
                              str(spm_vocab_dir / "spiece.model"), "--output", str(out), "--max-seq-length", "32",
                              "--max-predictions", "5", "--dupe-factor", "2", "--seed", "3", "--dynamic",
                              "--short-seq-prob", "0"])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "wrote 4 dynamic (unmasked) examples" in printed
    assert "skipped 1 documents with fewer than 2 sentences" in printed
    assert sum(1 for _ in tf.data.TFRecordDataset(str(out))) == 4


def test_bad_max_predictions(tmp_path, spm_encoder):
    with pytest.raises(ValueError, match=r"`max_predictions` must be an int in \[1, max_seq_length\]\. Received: "):
        write_pretraining_records(["a. b."], spm_encoder, tmp_path / "x", max_seq_length=16, max_predictions=17)
