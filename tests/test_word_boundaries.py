import numpy as np
import tensorflow as tf

from albert_keras.masking.word_boundaries import is_start_piece, start_piece_table, word_starts, word_starts_in_graph


def test_start_pieces():
    assert is_start_piece("\u2581hello")
    assert not is_start_piece("llo")
    assert is_start_piece("猫") and is_start_piece("是的")  # CJK pieces are words of their own
    assert is_start_piece(",") and is_start_piece("<unk>")
    assert not is_start_piece("ing")


def test_word_starts_skip_special_tokens_and_padding():
    pieces = ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]", "\u2581un", "believ", "able", "猫", "\u2581a"]
    table = start_piece_table(lambda i: pieces[i], len(pieces))
    ids = [2, 6, 5, 6, 7, 3, 8, 8, 9, 3, 0, 0]
    # A continuation piece right after [CLS] still starts a word.
    want = [0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0]
    np.testing.assert_array_equal(word_starts(ids, table), want)
    mask = [1] * 10 + [0, 0]
    np.testing.assert_array_equal(word_starts_in_graph(tf.constant([ids]), tf.constant([mask]), table)[0], want)
