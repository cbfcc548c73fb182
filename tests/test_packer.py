import itertools

import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.preprocessing.packer import pack, truncated_lengths


def _reference_truncate(len_a, len_b, budget):
    """The original `_truncate_seq_pair` loop, on lengths."""
    while len_a + len_b > budget:
        if len_a > len_b:
            len_a -= 1
        else:
            len_b -= 1
    return len_a, len_b


def test_truncated_lengths_match_the_original_loop():
    cases = list(itertools.product(range(0, 14), range(0, 14), range(0, 12)))
    la, lb, budget = (tf.constant([c[i] for c in cases], tf.int64) for i in range(3))
    got_a, got_b = [], []
    for b in range(12):
        sel = [i for i, c in enumerate(cases) if c[2] == b]
        ga, gb = truncated_lengths(tf.gather(la, sel), tf.gather(lb, sel), b)
        got_a += ga.numpy().tolist()
        got_b += gb.numpy().tolist()
    order = [i for b in range(12) for i, c in enumerate(cases) if c[2] == b]
    want = [_reference_truncate(*cases[i]) for i in order]
    assert list(zip(got_a, got_b, strict=False)) == want


def test_pair_layout_segments_and_padding():
    a = tf.ragged.constant([[10, 11], [20, 21, 22, 23, 24, 25]])
    b = tf.ragged.constant([[30], [40, 41, 42]])
    out = pack(a, b, sequence_length=8)
    assert set(out) == {features.TOKEN_IDS, features.SEGMENT_IDS, features.PADDING_MASK}
    assert all(v.dtype == tf.int32 and v.shape == (2, 8) for v in out.values())
    np.testing.assert_array_equal(out[features.TOKEN_IDS][0], [2, 10, 11, 3, 30, 3, 0, 0])
    np.testing.assert_array_equal(out[features.SEGMENT_IDS][0], [0, 0, 0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(out[features.PADDING_MASK][0], [1, 1, 1, 1, 1, 1, 0, 0])
    # Budget 5: A (6) is longer and is cut to 3 from its end, B (3) then cut to 2.
    np.testing.assert_array_equal(out[features.TOKEN_IDS][1], [2, 20, 21, 22, 3, 40, 41, 3])
    np.testing.assert_array_equal(out[features.SEGMENT_IDS][1], [0, 0, 0, 0, 0, 1, 1, 1])


def test_single_segment_and_empty_inputs():
    out = pack(tf.ragged.constant([[], [5, 6, 7, 8, 9]], dtype=tf.int32), sequence_length=4)
    np.testing.assert_array_equal(out[features.TOKEN_IDS], [[2, 3, 0, 0], [2, 5, 6, 3]])
    np.testing.assert_array_equal(out[features.SEGMENT_IDS], np.zeros((2, 4)))
    np.testing.assert_array_equal(out[features.PADDING_MASK], [[1, 1, 0, 0], [1, 1, 1, 1]])
    out = pack(tf.ragged.constant([[]], dtype=tf.int32), tf.ragged.constant([[]], dtype=tf.int32), 5)
    np.testing.assert_array_equal(out[features.TOKEN_IDS], [[2, 3, 3, 0, 0]])
    np.testing.assert_array_equal(out[features.SEGMENT_IDS], [[0, 0, 1, 0, 0]])


def test_bad_arguments():
    with pytest.raises(ValueError, match="sequence_length must be an int >= 3, got 2"):
        pack(tf.ragged.constant([[1]]), tf.ragged.constant([[1]]), 2)
    with pytest.raises(ValueError, match="ids_a must be"):
        pack(tf.constant([1, 2, 3]), sequence_length=8)
