"""`TokenEmbedding` (lookup and tied decoder) and `PositionEmbedding`, through the shared checks."""

import numpy as np
import pytest

from albert_keras.layers.position_embedding import PositionEmbedding
from albert_keras.layers.token_embedding import TokenEmbedding
from tests.test_case import run_layer_test

IDS = np.array([[5, 1, 9, 0], [3, 3, 2, 7]], "int32")


def test_token_embedding_lookup():
    layer = run_layer_test(
        TokenEmbedding,
        {"vocabulary_size": 10, "embedding_dim": 3},
        IDS,
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=1,
        run_mixed_precision_check=False,  # a lookup is exact in any dtype; the backbone test covers the policy
    )
    table = np.asarray(layer.embeddings)
    np.testing.assert_array_equal(np.asarray(layer(IDS)), table[IDS])


def test_token_embedding_reverse_is_the_tied_float32_decoder():
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    layer = run_layer_test(
        TokenEmbedding,
        {"vocabulary_size": 10, "embedding_dim": 3},
        x,
        call_kwargs={"reverse": True},
        expected_output_shape=(2, 4, 10),
        expected_num_trainable_weights=1,
        float32_output=True,
    )
    np.testing.assert_allclose(np.asarray(layer(x, reverse=True)), x @ np.asarray(layer.embeddings).T, atol=1e-6)


def test_token_embedding_rejects_bad_sizes():
    with pytest.raises(ValueError, match="`vocabulary_size` and `embedding_dim` must be positive. Received"):
        TokenEmbedding(0, 3)


@pytest.mark.parametrize("seq_len", [1, 5])
def test_position_embedding_is_the_sliced_table(seq_len):
    x = np.zeros((2, seq_len, 3), "float32")
    layer = run_layer_test(
        PositionEmbedding,
        {"max_sequence_length": 6, "embedding_dim": 3},
        x,
        expected_output_shape=(1, seq_len, 3),
        expected_num_trainable_weights=1,
    )
    np.testing.assert_array_equal(np.asarray(layer(x))[0], np.asarray(layer.embeddings)[:seq_len])
