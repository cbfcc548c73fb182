import gc
import pathlib
import shutil

import keras
import numpy as np
import pytest
import sentencepiece as spm
import tensorflow as tf

from albert_keras import features
from albert_keras.tokenizer import vocab
from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
from albert_keras.tokenizer.normalize import preprocess_text

REPO_DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def _lines(name, n):
    lines = [line.strip() for line in (REPO_DATA / name).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and line != "%"][:n]


@pytest.fixture(scope="module")
def tokenizer(spm_vocab_dir):
    return AlbertTokenizer(spm_vocab_dir)


@pytest.fixture(scope="module")
def sp(spm_vocab_dir):
    return spm.SentencePieceProcessor(model_file=str(spm_vocab_dir / "spiece.model"))


def test_ids_equal_python_sentencepiece_on_english_and_chinese(tokenizer, sp):
    texts = _lines("fortunes/food.txt", 150) + _lines("zh/song100.txt", 150) + ["Ünïcödé  ``x''", ""]
    got = tokenizer(tf.constant(texts)).to_list()
    want = [sp.encode(preprocess_text(t)) for t in texts]
    assert got == want
    assert sum(len(w) for w in want) > 2000


@pytest.fixture(scope="module")
def sp_continuation(spm_vocab_dir):
    """The model without the dummy `▁` prefix: how text glued to a special token is tokenized."""
    return spm.SentencePieceProcessor(
        model_proto=vocab.without_dummy_prefix((spm_vocab_dir / "spiece.model").read_bytes())
    )


def test_literal_mask_becomes_mask_id_in_place(tokenizer, sp, sp_continuation):
    ids = tokenizer(tf.constant(["猫是[MASK]。"])).to_list()[0]
    assert ids == sp.encode("猫是") + [features.MASK_ID] + sp_continuation.encode("。")
    assert sp_continuation.encode("。") == [sp.piece_to_id("。")] != sp.encode("。")  # no "▁" piece after [MASK]
    pieces = [sp.id_to_piece(i) for i in ids]
    assert "猫" in pieces and "是" in pieces
    mask_at = ids.index(features.MASK_ID)
    assert pieces.index("是") < mask_at < pieces.index("。")


def test_literal_cls_and_sep_map_to_their_ids(tokenizer, sp, sp_continuation):
    ids = tokenizer(tf.constant(["[CLS]Hello World[SEP] cats [MASK]"])).to_list()[0]
    want = [2] + sp_continuation.encode("hello world") + [3] + sp.encode("cats") + [4]
    assert ids == want


def test_scalar_and_fixed_length_outputs(spm_vocab_dir, tokenizer, sp):
    scalar = tokenizer(tf.constant("Hello world")).numpy().tolist()
    assert scalar == sp.encode("hello world")
    fixed = AlbertTokenizer(spm_vocab_dir, sequence_length=4)(tf.constant(["Hello world", "a b c d e f g"]))
    assert fixed.shape == (2, 4) and fixed.dtype == tf.int32
    np.testing.assert_array_equal(fixed[0], (sp.encode("hello world") + [0, 0, 0, 0])[:4])
    np.testing.assert_array_equal(fixed[1], sp.encode("a b c d e f g")[:4])


def test_id_to_token_detokenize_and_vocabulary_size(tokenizer, sp):
    assert tokenizer.vocabulary_size() == sp.get_piece_size() == 1000
    ids = tokenizer(tf.constant(["the cat sat on the mat.", "猫是动物。"]))
    tokens = tokenizer.id_to_token(ids).to_list()
    assert tokens == [[sp.id_to_piece(i).encode() for i in row] for row in ids.to_list()]
    assert tokenizer.id_to_token(tf.constant([[4, 2]])).numpy().tolist() == [[b"[MASK]", b"[CLS]"]]
    text = tokenizer.detokenize(ids).numpy().tolist()
    assert text == [b"the cat sat on the mat.", "猫是动物。".encode()]
    assert tokenizer.token_to_id("[MASK]") == features.MASK_ID


def test_proto_survives_saved_model_without_the_vocab_file(spm_vocab_dir, tmp_path, sp):
    vocab_copy = tmp_path / "vocab"
    shutil.copytree(spm_vocab_dir, vocab_copy)
    texts = ["猫是[MASK]。", "The quick brown fox.", ""]

    class Tokenize(tf.Module):
        def __init__(self, tokenizer):
            super().__init__()
            self.tokenizer = tokenizer

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            return self.tokenizer(text).to_tensor(-1)

    module = Tokenize(AlbertTokenizer(vocab_copy))
    want = module(tf.constant(texts)).numpy()
    assert module.tokenizer.proto == (vocab_copy / "spiece.model").read_bytes()
    tf.saved_model.save(module, str(tmp_path / "saved"))
    del module
    gc.collect()
    shutil.rmtree(vocab_copy)
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    got = loaded(tf.constant(texts)).numpy()
    ops = _saved_op_types(tmp_path / "saved")
    not_core = {op for op in ops if not hasattr(tf.raw_ops, op)}
    assert "SentencepieceTokenizeOp" in not_core and "RegexSplitWithOffsets" in not_core
    assert not_core <= TF_TEXT_2_12_OPS, not_core - TF_TEXT_2_12_OPS
    np.testing.assert_array_equal(got, want)
    assert list(got[0][: len(sp.encode("猫是")) + 1]) == sp.encode("猫是") + [features.MASK_ID]


# Ops of TF Text 2.12.1 the tokenizer may use (all others must be TF core ops).
TF_TEXT_2_12_OPS = {
    "SentencepieceOp",
    "SentencepieceTokenizeOp",
    "SentencepieceDetokenizeOp",
    "SentencepieceIdToStringOp",
    "SentencepieceStringToIdOp",
    "SentencepieceVocabSizeOp",
    "RegexSplitWithOffsets",
    "NormalizeUTF8",
}


def _saved_op_types(path):
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((path / "saved_model.pb").read_bytes())
    graph = saved.meta_graphs[0].graph_def
    ops = {node.op for node in graph.node}
    for function in graph.library.function:
        ops |= {node.op for node in function.node_def}
    return ops


@keras.saving.register_keras_serializable(package="albert_keras_tests")
class _TokenizeModel(keras.Model):
    def __init__(self, tokenizer, **kwargs):
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = keras.saving.deserialize_keras_object(tokenizer)
        self.tokenizer = tokenizer

    def call(self, text):
        return self.tokenizer(text)

    def build_from_config(self, config):
        self.built = True

    def get_config(self):
        return {**super().get_config(), "tokenizer": keras.saving.serialize_keras_object(self.tokenizer)}


def test_proto_survives_keras_file(spm_vocab_dir, tmp_path):
    tokenizer = AlbertTokenizer(spm_vocab_dir, sequence_length=12)
    model = _TokenizeModel(tokenizer)
    text = tf.constant(["猫是[MASK]。", "Hello world"])
    want = model(text).numpy()
    path = tmp_path / "tok.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(restored(text).numpy(), want)
    assert restored.tokenizer.proto == tokenizer.proto
    assert restored.tokenizer.get_config()["sequence_length"] == 12
    assert tokenizer.get_config()["proto"] is None


def test_bad_inputs_are_clear_errors(spm_vocab_dir, tokenizer):
    with pytest.raises(ValueError, match="shape"):
        tokenizer(tf.constant([["a"]]))
    with pytest.raises(ValueError, match="no SentencePiece model"):
        AlbertTokenizer(None, lowercase=True, strip_accents=True)(tf.constant(["a"]))
    with pytest.raises(FileNotFoundError, match="SentencePiece model not found: .*missing"):
        AlbertTokenizer(spm_vocab_dir / "missing")
    with pytest.raises(ValueError, match="sequence_length"):
        AlbertTokenizer(spm_vocab_dir, sequence_length=0)
