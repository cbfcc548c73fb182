"""`MaskedLMHead`: gathering, the tied decoder, through the shared checks."""

import keras
import numpy as np
import pytest

from albert_keras.layers.masked_lm_head import MaskedLMHead
from albert_keras.layers.token_embedding import TokenEmbedding
from tests.test_case import run_layer_test

V, E, H = 12, 4, 8
SEQUENCE = np.random.default_rng(0).normal(size=(2, 6, H)).astype("float32")
POSITIONS = np.array([[1, 4, 0], [5, 2, 2]], "int32")


def _table():
    table = TokenEmbedding(V, E, name="token_embedding")
    table.build()
    return table


def test_masked_lm_head():
    table = _table()
    head = run_layer_test(
        MaskedLMHead,
        {"vocabulary_size": V, "embedding_dim": E},
        (SEQUENCE, POSITIONS),
        non_config_kwargs={"token_embedding": table},
        expected_output_shape=(2, 3, V),
        expected_num_trainable_weights=6,  # transform kernel/bias, LayerNorm gamma/beta, output bias; tied table
        float32_output=True,
        float32_sublayers=("token_embedding",),  # the backbone's table, float32 here
    )
    assert head.token_embedding.embeddings is table.embeddings
    own = {id(w) for w in head.trainable_weights} - {id(table.embeddings)}
    assert len(own) == 5


def test_masked_lm_head_gathers_the_positions_and_decodes_with_the_table():
    table = _table()
    head = MaskedLMHead(V, E, token_embedding=table)
    logits = np.asarray(head(SEQUENCE, POSITIONS))
    head.output_bias.assign(np.arange(V, dtype="float32"))
    # Each prediction depends only on its own position's row.
    gathered = SEQUENCE[np.arange(2)[:, None], POSITIONS]  # [2, 3, H]
    transformed = np.asarray(head.layer_norm(head.dense(gathered)))
    want = transformed @ np.asarray(table.embeddings).T + np.arange(V)
    np.testing.assert_allclose(np.asarray(head(SEQUENCE, POSITIONS)), want, atol=1e-5)
    np.testing.assert_allclose(logits[1, 1], logits[1, 2])  # the same position twice
    # The decoder is the table: changing the table changes the logits.
    table.embeddings.assign(np.asarray(table.embeddings) * 2.0)
    assert not np.allclose(np.asarray(head(SEQUENCE, POSITIONS)), want, atol=1e-3)


def test_masked_lm_head_needs_the_token_embedding():
    with pytest.raises(ValueError, match="needs the backbone's `token_embedding`"):
        MaskedLMHead(V, E)


def _projection(use_bias=False):
    projection = keras.layers.Dense(H, use_bias=use_bias, name="embeddings_projection")
    projection.build((None, E))
    return projection


def test_masked_lm_head_through_the_embeddings_projection():
    """brightmart's head: transform H→H, LayerNorm in H, then x @ W[E,H].T @ table.T + bias."""
    table, projection = _table(), _projection()
    head = run_layer_test(
        MaskedLMHead,
        {"vocabulary_size": V, "embedding_dim": E, "hidden_dim": H},
        (SEQUENCE, POSITIONS),
        non_config_kwargs={"token_embedding": table, "embeddings_projection": projection},
        expected_output_shape=(2, 3, V),
        expected_num_trainable_weights=7,  # the 6 above plus the tied projection kernel
        float32_output=True,
        float32_sublayers=("token_embedding", "embeddings_projection"),
    )
    assert tuple(head.dense.kernel.shape) == (H, H) and tuple(head.layer_norm.gamma.shape) == (H,)
    head.output_bias.assign(np.arange(V, dtype="float32"))
    gathered = SEQUENCE[np.arange(2)[:, None], POSITIONS]
    transformed = np.asarray(head.layer_norm(head.dense(gathered)))
    want = transformed @ np.asarray(projection.kernel).T @ np.asarray(table.embeddings).T + np.arange(V)
    np.testing.assert_allclose(np.asarray(head(SEQUENCE, POSITIONS)), want, atol=1e-5)


def test_masked_lm_head_projection_arguments():
    with pytest.raises(ValueError, match="must be given together"):
        MaskedLMHead(V, E, token_embedding=_table(), hidden_dim=H)
    with pytest.raises(ValueError, match="must be the bias-free"):
        MaskedLMHead(V, E, token_embedding=_table(), hidden_dim=H, embeddings_projection=_projection(use_bias=True))
