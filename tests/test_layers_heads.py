"""`MaskedLMHead`: gathering, the tied decoder, through the shared checks."""

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
