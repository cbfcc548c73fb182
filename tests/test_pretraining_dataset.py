import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.data.errors import DataError
from albert_keras.data.pretraining_dataset import (
    load_dynamic_pretraining_dataset,
    load_pretraining_dataset,
    parse_dynamic_batch,
)

X_KEYS = {features.TOKEN_IDS, features.SEGMENT_IDS, features.PADDING_MASK, features.MASK_POSITIONS}
Y_KEYS = {features.MLM_IDS, features.MLM_WEIGHTS, features.SOP_LABEL}


def _check_structure(x, y, batch, seq_len, preds):
    assert set(x) == X_KEYS and set(y) == Y_KEYS
    for key in (features.TOKEN_IDS, features.SEGMENT_IDS, features.PADDING_MASK):
        assert x[key].shape == (batch, seq_len) and x[key].dtype == tf.int32
    assert x[features.MASK_POSITIONS].shape == (batch, preds) and x[features.MASK_POSITIONS].dtype == tf.int32
    assert y[features.MLM_IDS].shape == (batch, preds) and y[features.MLM_IDS].dtype == tf.int32
    assert y[features.MLM_WEIGHTS].shape == (batch, preds) and y[features.MLM_WEIGHTS].dtype == tf.float32
    assert y[features.SOP_LABEL].shape == (batch,) and y[features.SOP_LABEL].dtype == tf.int32


def test_static_dataset_feeds_the_pretrainer(pretraining_record_files):
    ds = load_pretraining_dataset(str(pretraining_record_files["static"]), 8, 64, 10, seed=0)
    x, y = next(iter(ds))
    _check_structure(x, y, 8, 64, 10)
    weights = y[features.MLM_WEIGHTS].numpy()
    tokens = tf.gather(x[features.TOKEN_IDS], x[features.MASK_POSITIONS], batch_dims=1).numpy()
    assert np.mean(tokens[weights > 0] == features.MASK_ID) > 0.5
    # Labels are real tokens: never padding, [CLS], [SEP] or [MASK] (an <unk> piece of the text may be masked).
    labels = y[features.MLM_IDS].numpy()[weights > 0]
    assert not np.isin(labels, [features.PAD_ID, features.CLS_ID, features.SEP_ID, features.MASK_ID]).any()


def test_dynamic_dataset_masks_afresh_each_epoch_and_reproducibly(pretraining_record_files):
    path = str(pretraining_record_files["dynamic"])
    ds = load_dynamic_pretraining_dataset(path, 16, 64, 10, vocab_size=3000, seed=11, shuffle=False)
    epoch1 = [x[features.MASK_POSITIONS].numpy() for x, _ in ds]
    epoch2 = [x[features.MASK_POSITIONS].numpy() for x, _ in ds]
    again = load_dynamic_pretraining_dataset(path, 16, 64, 10, vocab_size=3000, seed=11, shuffle=False)
    epoch1_again = [x[features.MASK_POSITIONS].numpy() for x, _ in again]
    assert len(epoch1) > 5
    assert not np.array_equal(np.stack(epoch1), np.stack(epoch2))
    np.testing.assert_array_equal(np.stack(epoch1), np.stack(epoch1_again))


def test_dynamic_dataset_labels_are_the_unmasked_ids(pretraining_record_files):
    path = str(pretraining_record_files["dynamic"])
    ds = load_dynamic_pretraining_dataset(path, 16, 64, 10, vocab_size=3000, seed=1, shuffle=False)
    raw = tf.data.TFRecordDataset(path).batch(16, drop_remainder=True).map(lambda s: parse_dynamic_batch(s, 64))
    masked = total = budget = 0
    for (x, y), plain in zip(ds, raw, strict=False):
        _check_structure(x, y, 16, 64, 10)
        w = y[features.MLM_WEIGHTS].numpy() > 0
        original = tf.gather(plain[features.TOKEN_IDS], x[features.MASK_POSITIONS], batch_dims=1).numpy()
        np.testing.assert_array_equal(y[features.MLM_IDS].numpy()[w], original[w])
        np.testing.assert_array_equal(y[features.SOP_LABEL], plain[features.SOP_LABEL])
        assert np.all(y[features.MLM_IDS].numpy()[~w] == 0)
        masked += w.sum()
        lengths = plain[features.PADDING_MASK].numpy().sum(1)
        total += lengths.sum()
        budget += np.minimum(10, np.maximum(1, np.round(lengths * 0.15))).sum()
    assert 0.95 * budget <= masked <= budget
    assert abs(masked / total - 0.15) < 0.015


def test_no_matching_files_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"`file_pattern` must match TFRecord files\. Received: .*\*\.tfrecord"):
        load_pretraining_dataset(str(tmp_path / "*.tfrecord"), 8, 64, 10)
