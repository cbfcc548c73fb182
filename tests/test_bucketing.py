"""Length-aware batching (`albert_keras.data.bucketing`): same logits, bounded shapes, every example once."""

import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.data import bucketing
from tests.model_helpers import random_inputs, randomize_weights, tiny_backbone

T = 24
BOUNDS = [8, 16, 24]
LENGTHS = [3, 5, 7, 8, 9, 12, 15, 16, 17, 20, 23, 24, 4, 6, 11, 22]


def _examples():
    x = random_inputs(batch=len(LENGTHS), seq_len=T, vocab=30, num_real=LENGTHS, seed=3)
    x[features.MASK_POSITIONS] = np.stack([[1, n - 1] for n in LENGTHS]).astype("int32")
    y = np.arange(len(LENGTHS), dtype="int32")  # the example's index, to find it again
    return x, y


def _bucketed(batch_size, drop_remainder=False):
    x, y = _examples()
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return list(bucketing.bucket_batches(ds, batch_size, BOUNDS, drop_remainder=drop_remainder))


def test_boundaries_come_from_the_data_and_the_switch():
    assert bucketing.choose_boundaries([10] * 50 + [60] * 50, 64) == [16, 40, 64]  # quartiles 10, 35, 60
    assert bucketing.choose_boundaries([], 64) == [64]
    short = [10, 12, 20, 30] * 10
    assert bucketing.resolve_bucketing("auto", [], short, 64) == [16, 24, 64]  # quartiles 11.5, 16, 22.5
    assert bucketing.resolve_bucketing("auto", [], [60, 64] * 10, 64) is None  # nearly full: no gain
    assert bucketing.resolve_bucketing("on", [], [40, 64] * 10, 64) == [40, 56, 64]  # "on" buckets even then
    assert bucketing.resolve_bucketing("off", [], short, 64) is None
    assert bucketing.resolve_bucketing("on", [32, 64], [60] * 10, 64) == [32, 64]
    with pytest.raises(ValueError, match="must be increasing positive ints ending at the sequence length 64"):
        bucketing.resolve_bucketing("on", [32, 16, 64], short, 64)
    with pytest.raises(ValueError, match=r"`bucketing` must be one of \['auto', 'on', 'off'\]"):
        bucketing.resolve_bucketing("sometimes", [], short, 64)


def test_config_modes_match_the_module():
    from albert_keras.config import ConfigError
    from albert_keras.config.common import BUCKETING_MODES, check_bucketing

    assert BUCKETING_MODES == bucketing.MODES
    check_bucketing("data", "on", [16, 64], 64)
    with pytest.raises(ConfigError, match=r"`data\.bucket_boundaries` must be increasing .*Received: \[16, 32\]"):
        check_bucketing("data", "on", [16, 32], 64)
    with pytest.raises(ConfigError, match=r"`data\.bucketing` must be one of"):
        check_bucketing("data", "yes", [], 64)


def test_every_example_once_in_a_batch_as_wide_as_its_bucket():
    batches = _bucketed(batch_size=3)
    seen = []
    for x, y in batches:
        width = x[features.TOKEN_IDS].shape[1]
        assert width in BOUNDS
        lengths = x[features.PADDING_MASK].numpy().sum(axis=1)
        lower = BOUNDS[BOUNDS.index(width) - 1] if width != BOUNDS[0] else 0
        assert ((lengths > lower) & (lengths <= width)).all(), (width, lengths)
        assert x[features.MASK_POSITIONS].shape[1] == 2  # not a sequence feature: never cut
        seen.extend(y.numpy().tolist())
    assert sorted(seen) == list(range(len(LENGTHS)))
    with_remainder = sum(int(y.shape[0]) for _, y in _bucketed(batch_size=3, drop_remainder=True))
    assert with_remainder < len(LENGTHS) and with_remainder % 3 == 0


def test_bucketed_batches_give_the_padded_logits():
    from albert_keras import AlbertPretrainer

    model = AlbertPretrainer(tiny_backbone(max_sequence_length=T))
    x, _ = _examples()
    model(x)
    randomize_weights(model, seed=5)
    padded = {k: np.asarray(v) for k, v in model(x).items()}
    padded_sequence = np.asarray(model.backbone({k: x[k] for k in bucketing.SEQUENCE_KEYS[:3]})["sequence_output"])
    for bx, by in _bucketed(batch_size=4):
        out = model(bx)
        sequence = np.asarray(model.backbone({k: bx[k] for k in bucketing.SEQUENCE_KEYS[:3]})["sequence_output"])
        for row, index in enumerate(by.numpy()):
            n = LENGTHS[index]
            np.testing.assert_allclose(sequence[row, :n], padded_sequence[index, :n], atol=1e-5)
            for key in ("mlm_logits", "sop_logits"):
                np.testing.assert_allclose(np.asarray(out[key])[row], padded[key][index], atol=1e-5)


def test_a_function_traces_at_most_once_per_bucket():
    @tf.function(reduce_retracing=True)
    def total(x):
        return tf.reduce_sum(x[features.TOKEN_IDS])

    x, y = _examples()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).repeat(3).shuffle(64, seed=0)
    for bx, _ in bucketing.bucket_batches(ds, 4, BOUNDS):
        total(bx)
    assert total.experimental_get_tracing_count() <= len(BOUNDS)


def test_per_token_targets_are_cut_with_the_inputs():
    x, _ = _examples()
    tags = np.tile(np.arange(T, dtype="int32"), (len(LENGTHS), 1))
    ds = tf.data.Dataset.from_tensor_slices((x, tags))
    for bx, by in bucketing.bucket_batches(ds, 4, BOUNDS, drop_remainder=False, trim_y=True):
        assert by.shape[1] == bx[features.TOKEN_IDS].shape[1]
        np.testing.assert_array_equal(by.numpy()[0], np.arange(by.shape[1]))


def test_dynamic_records_are_bucketed_when_short(tmp_path):
    from albert_keras.config import PretrainDataConfig
    from albert_keras.data import pretraining_dataset
    from albert_keras.data.pretraining_records import dynamic_feature_spec

    def feature(values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))

    path = str(tmp_path / "dynamic.tfrecord")
    with tf.io.TFRecordWriter(path) as writer:
        for i, n in enumerate([6, 7, 9, 10, 12, 30, 5, 8] * 8):
            ids = [2] + [10 + (i + j) % 20 for j in range(n - 2)] + [3] + [0] * (64 - n)
            mask = [1] * n + [0] * (64 - n)
            values = {"input_ids": ids, "segment_ids": [0] * 64, "input_mask": mask,
                      "word_starts": [0] + [1] * (n - 2) + [0] * (65 - n), "next_sentence_labels": [i % 2]}
            assert set(values) == set(dynamic_feature_spec(64))
            writer.write(tf.train.Example(features=tf.train.Features(
                feature={k: feature(v) for k, v in values.items()})).SerializeToString())
    lengths = pretraining_dataset.sample_lengths(path, 64)
    assert sorted(set(lengths)) == [5, 6, 7, 8, 9, 10, 12, 30]
    data = PretrainDataConfig(source="records", sequence_length=64, max_predictions=4)
    boundaries = pretraining_dataset.record_boundaries(path, data)
    assert boundaries is not None and boundaries[-1] == 64 and boundaries[0] <= 16
    ds = pretraining_dataset.records_dataset(path, data, 8, 0, True, 40)
    widths = {int(x[features.TOKEN_IDS].shape[1]) for x, _ in ds.take(12)}
    assert widths <= set(boundaries) and min(widths) < 64
    off = PretrainDataConfig(source="records", sequence_length=64, max_predictions=4, bucketing="off")
    assert {int(x[features.TOKEN_IDS].shape[1]) for x, _ in pretraining_dataset.records_dataset(
        path, off, 8, 0, True, 40).take(3)} == {64}
