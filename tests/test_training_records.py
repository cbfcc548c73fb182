"""Pretraining from records: static and dynamic records, through `records_dataset` and `run_pretraining`."""

import json

import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.config import PretrainDataConfig
from albert_keras.data.errors import DataError
from albert_keras.data.pretraining_dataset import parse_dynamic_batch, record_kind, records_dataset
from albert_keras.data.pretraining_records import write_pretraining_records
from albert_keras.training.pretrain import run_pretraining
from tests.training_fixtures import FORTUNES, tiny_pretrain_config, train_small_vocab

VOCAB = 600


@pytest.fixture(scope="module")
def spm(tmp_path_factory):
    return train_small_vocab(tmp_path_factory.mktemp("vocab"), vocab_size=VOCAB)


@pytest.fixture(scope="module")
def records(tmp_path_factory, spm):
    """Static and dynamic records (T=32, P=5) of one fortune file, split into train and eval."""
    from albert_keras.data import corpus
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    encoder = SentencePieceEncoder(spm)
    documents = corpus.read_corpus(FORTUNES[:1], "fortune")
    out = tmp_path_factory.mktemp("records")
    paths = {}
    for kind in ("static", "dynamic"):
        for split, docs in (("train", documents[20:]), ("eval", documents[:20])):
            path = out / f"{kind}-{split}.tfrecord"
            write_pretraining_records(docs, encoder, path, max_seq_length=32, max_predictions=5, seed=3,
                                      dynamic=kind == "dynamic")
            paths[kind, split] = str(path)
    return paths


def _data_config(dynamic_masking=True):
    return PretrainDataConfig(source="records", sequence_length=32, max_predictions=5, dynamic_masking=dynamic_masking,
                              shuffle_buffer=64)


def _positions(ds, batches):
    return np.stack([x[features.MASK_POSITIONS].numpy() for x, _ in ds.take(batches)])


def test_record_kind_is_read_off_the_first_record(records, tmp_path):
    assert record_kind(records["static", "train"]) == "static"
    assert record_kind(records["dynamic", "train"]) == "dynamic"
    other = str(tmp_path / "other.tfrecord")
    with tf.io.TFRecordWriter(other) as w:
        w.write(tf.train.Example(features=tf.train.Features(feature={
            "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"hello"]))})).SerializeToString())
    with pytest.raises(DataError, match=r"must be a static or dynamic pretraining record.*'text'.*other\.tfrecord"):
        record_kind(other)
    empty = str(tmp_path / "empty.tfrecord")
    with tf.io.TFRecordWriter(empty):
        pass
    with pytest.raises(DataError, match="hold no record"):
        record_kind(empty)


def test_dynamic_records_are_masked_anew_each_pass(records):
    path = records["dynamic", "train"]
    n = sum(1 for _ in tf.data.TFRecordDataset(path))
    batches_per_pass = n // 8
    ds = records_dataset([path], _data_config(), 8, seed=0, training=True, vocabulary_size=VOCAB)
    x, y = next(iter(ds))
    assert x[features.TOKEN_IDS].shape == (8, 32) and x[features.MASK_POSITIONS].shape == (8, 5)
    assert y[features.MLM_WEIGHTS].dtype == tf.float32 and y[features.SOP_LABEL].shape == (8,)
    # Without shuffling, a pass is the same examples; the masks must still differ between passes.
    ordered = _data_config()
    ordered.shuffle_buffer = 1
    ds = records_dataset([path], ordered, 8, seed=0, training=True, vocabulary_size=VOCAB)
    tokens = np.stack([x[features.PADDING_MASK].numpy() for x, _ in ds.take(2 * batches_per_pass)])
    positions = _positions(ds, 2 * batches_per_pass)
    first, second = positions[:batches_per_pass], positions[batches_per_pass:]
    # Same sequences in both passes when the pass length is a whole number of batches.
    if n % 8 == 0:
        np.testing.assert_array_equal(tokens[:batches_per_pass], tokens[batches_per_pass:])
    assert not np.array_equal(first, second)


def test_dynamic_masking_off_masks_dynamic_records_once(records):
    path = records["dynamic", "train"]
    config = _data_config(dynamic_masking=False)
    ds = records_dataset([path], config, 8, seed=0, training=True, vocabulary_size=VOCAB)
    n = sum(1 for _ in tf.data.TFRecordDataset(path))
    seen = {}
    for x, y in ds.take(3 * (n // 8)):
        for ids, pos, w in zip(x[features.TOKEN_IDS].numpy(), x[features.MASK_POSITIONS].numpy(),
                               y[features.MLM_WEIGHTS].numpy(), strict=False):
            key = (tuple(ids), tuple(pos), tuple(w))
            seen[key] = seen.get(key, 0) + 1
    # Each example keeps one masking: at most n distinct (masked ids, positions) rows over 3 passes.
    assert len(seen) <= n
    assert max(seen.values()) >= 2


def test_dynamic_eval_keeps_the_last_batch_and_the_same_masks(records):
    path = records["dynamic", "eval"]
    n = sum(1 for _ in tf.data.TFRecordDataset(path))
    assert n % 8 != 0, "the fixture should leave a partial last batch"
    ds = records_dataset([path], _data_config(), 8, seed=5, training=False, vocabulary_size=VOCAB)
    first = [(x[features.MASK_POSITIONS].numpy(), y[features.MLM_IDS].numpy()) for x, y in ds]
    second = [(x[features.MASK_POSITIONS].numpy(), y[features.MLM_IDS].numpy()) for x, y in ds]
    assert sum(len(p) for p, _ in first) == n
    for (p1, i1), (p2, i2) in zip(first, second, strict=False):
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(i1, i2)
    # The labels are the unmasked ids at the masked positions.
    raw = tf.data.TFRecordDataset(path).batch(8).map(lambda s: parse_dynamic_batch(s, 32))
    for (x, y), plain in zip(ds, raw, strict=False):
        w = y[features.MLM_WEIGHTS].numpy() > 0
        original = tf.gather(plain[features.TOKEN_IDS], x[features.MASK_POSITIONS], batch_dims=1).numpy()
        np.testing.assert_array_equal(y[features.MLM_IDS].numpy()[w], original[w])


def test_static_records_keep_their_masks_and_eval_keeps_the_last_batch(records):
    path = records["static", "eval"]
    n = sum(1 for _ in tf.data.TFRecordDataset(path))
    ds = records_dataset([path], _data_config(), 8, seed=0, training=False, vocabulary_size=VOCAB)
    first = np.concatenate([x[features.MASK_POSITIONS].numpy() for x, _ in ds])
    assert len(first) == n
    # The same positions as written, whatever the seed.
    other = records_dataset([path], _data_config(), 8, seed=9, training=False, vocabulary_size=VOCAB)
    np.testing.assert_array_equal(first, np.concatenate([x[features.MASK_POSITIONS].numpy() for x, _ in other]))


@pytest.mark.parametrize("kind", ["static", "dynamic"])
def test_run_pretraining_from_records(spm, records, tmp_path, kind):
    config = tiny_pretrain_config(tmp_path / "run", spm, train_steps=4, checkpoint_every=0)
    config["data"] = {
        "source": "records",
        "train_files": [records[kind, "train"]],
        "eval_files": [records[kind, "eval"]],
        "spm": spm,
        "sequence_length": 32,
        "max_predictions": 5,
    }
    result = run_pretraining(config, fresh=True)
    assert result.final_step == 4
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    n_eval = sum(1 for _ in tf.data.TFRecordDataset(records[kind, "eval"]))
    assert metrics["eval"]["num_predictions"] > n_eval  # every eval example, several masks each
    assert 0.0 <= metrics["eval"]["mlm_accuracy"] <= 1.0
