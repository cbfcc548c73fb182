import keras
import numpy as np
import pytest
import tensorflow as tf

from albert_keras import features
from albert_keras.preprocessing.preprocessor import AlbertPreprocessor
from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
from tests.test_case import run_serialization_test


@pytest.fixture(scope="module")
def preprocessor(spm_vocab_dir):
    return AlbertPreprocessor.from_vocab_dir(spm_vocab_dir, sequence_length=16)


def test_empty_string_gives_cls_sep(preprocessor):
    out = preprocessor(tf.constant(["", "猫是[MASK]。"]))
    np.testing.assert_array_equal(out[features.TOKEN_IDS][0], [2, 3] + [0] * 14)
    np.testing.assert_array_equal(out[features.PADDING_MASK][0], [1, 1] + [0] * 14)
    row = out[features.TOKEN_IDS][1].numpy().tolist()
    assert row[0] == 2 and features.MASK_ID in row and row[sum(out[features.PADDING_MASK][1].numpy()) - 1] == 3


def test_pair_matches_tokenizer_plus_packing(preprocessor, spm_encoder):
    out = preprocessor({features.TEXT: tf.constant(["Hello world"]), features.TEXT_B: tf.constant(["猫是动物"])})
    a, b = spm_encoder.encode("Hello world"), spm_encoder.encode("猫是动物")
    want = [2] + a + [3] + b + [3]
    np.testing.assert_array_equal(out[features.TOKEN_IDS][0, : len(want)], want)
    np.testing.assert_array_equal(out[features.SEGMENT_IDS][0, : len(want)], [0] * (len(a) + 2) + [1] * (len(b) + 1))


def test_works_in_tf_data_per_example_and_batched(preprocessor):
    texts = ["one two three", "", "猫是[MASK]。", "four"]
    eager = preprocessor(tf.constant(texts))[features.TOKEN_IDS].numpy()
    ds = tf.data.Dataset.from_tensor_slices(texts).map(preprocessor, num_parallel_calls=tf.data.AUTOTUNE)
    per_example = np.stack([x[features.TOKEN_IDS].numpy() for x in ds])
    batched = next(iter(tf.data.Dataset.from_tensor_slices(texts).batch(4).map(preprocessor)))
    np.testing.assert_array_equal(per_example, eager)
    np.testing.assert_array_equal(batched[features.TOKEN_IDS], eager)
    pairs = tf.data.Dataset.from_tensor_slices((texts, texts[::-1])).batch(4).map(preprocessor)
    want = preprocessor((tf.constant(texts), tf.constant(texts[::-1])))
    np.testing.assert_array_equal(next(iter(pairs))[features.SEGMENT_IDS], want[features.SEGMENT_IDS])
    assert want[features.SEGMENT_IDS].numpy().sum() > 0


def test_works_in_a_tf_function_signature(preprocessor):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string)])
    def serve(text, text_b):
        return preprocessor((text, text_b))

    out = serve(tf.constant(["a b"]), tf.constant(["c"]))
    assert out[features.SEGMENT_IDS].shape == (1, 16)
    assert out[features.SEGMENT_IDS].numpy().sum() >= 2


def test_config_round_trip_and_bad_arguments(spm_vocab_dir, preprocessor):
    config = preprocessor.get_config()
    assert config["sequence_length"] == 16
    with pytest.raises(ValueError, match="sequence_length=None"):
        AlbertPreprocessor(AlbertTokenizer(spm_vocab_dir, sequence_length=8))
    with pytest.raises(ValueError, match=r"`tokenizer` must be one of .*AlbertTokenizer.*Received: a str"):
        AlbertPreprocessor("not a tokenizer")
    with pytest.raises(ValueError, match="'text' key"):
        preprocessor({"txt": tf.constant(["a"])})
    assert isinstance(keras.saving.get_registered_object("albert_keras>AlbertPreprocessor"), type)


def test_config_and_registry_round_trip(preprocessor):
    """The config round-trips directly and through the Keras registry (the SentencePiece model is an asset,
    restored from `.keras` files: see tests/test_albert_tokenizer.py)."""
    run_serialization_test(preprocessor)
