"""AlbertTokenizer's fast path (`TFText>FastSentencepieceTokenize`) against the standard one."""

import pathlib

import pytest
import sentencepiece as spm
import tensorflow as tf

from albert_keras import features
from albert_keras.export import op_allowlist
from albert_keras.tokenizer import fast_sentencepiece
from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer

REPO_DATA = pathlib.Path(__file__).resolve().parent.parent / "data"
CASES = [
    "猫是[MASK]。",
    "a free [MASK].",
    "[CLS]hello[SEP] world [MASK]!",
    "[MASK][MASK] [SEP]",
    "In 2014, 5,000 people x1,y paid $3, then 12,",
    "Ünïcödé  ``quoted''\tTABS\u3000全角",
    "ﬁne ﷺ ①②, ｆｕｌｌ",
    "",
    "   ",
]


def _lines(name, n):
    lines = [line.strip() for line in (REPO_DATA / name).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and line != "%"][:n]


@pytest.fixture(scope="module")
def texts():
    lines = _lines("fortunes/food.txt", 120) + _lines("zh/song100.txt", 120)
    return CASES + lines + ["[CLS]" + t[: len(t) // 2] + "[MASK]" + t[len(t) // 2 :] + " [SEP]" for t in lines]


@pytest.fixture(scope="module")
def fast(spm_vocab_dir):
    return AlbertTokenizer(spm_vocab_dir, implementation="fast")


@pytest.fixture(scope="module")
def standard(spm_vocab_dir):
    return AlbertTokenizer(spm_vocab_dir, implementation="standard")


def test_fast_ids_equal_standard_ids_with_special_tokens_and_normalisation(fast, standard, spm_encoder, texts):
    assert fast.uses_fast_op and not standard.uses_fast_op
    got = fast(tf.constant(texts)).to_list()
    assert got == standard(tf.constant(texts)).to_list()
    assert got == [spm_encoder.encode(t) for t in texts]
    assert features.MASK_ID in got[0] and got[2][0] == features.CLS_ID
    assert sum(map(len, got)) > 5000


def test_fast_path_in_a_dataset_and_dense_output(spm_vocab_dir, standard, texts):
    dense = AlbertTokenizer(spm_vocab_dir, sequence_length=16, implementation="fast")
    ds = tf.data.Dataset.from_tensor_slices(texts).batch(64).map(dense)
    got = tf.concat(list(ds), axis=0).numpy().tolist()
    want = standard(tf.constant(texts)).to_tensor(shape=[None, 16]).numpy().tolist()
    assert got == want


def test_more_ids_than_one_int16_call_and_overlong_strings(fast, standard, texts):
    # One call of the op that yields over 32,767 ids writes past its output (int16 sizes): the layer chunks.
    batch = tf.constant(texts * 4)
    long_text = " ".join(texts[9:60])  # over the per-string bound: goes to the standard op
    assert len(long_text) * fast._fast_main.expansion + 1 > fast_sentencepiece.CHUNK_IDS
    for inputs in (batch, tf.constant([long_text, texts[10], long_text])):
        want = standard(inputs)
        assert fast(inputs).to_list() == want.to_list()
    assert standard(batch).flat_values.shape[0] > 32767


def test_auto_falls_back_on_a_bpe_model(tmp_path):
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_lines("fortunes/food.txt", 300)), model_prefix=str(tmp_path / "spiece"),
        model_type="bpe", vocab_size=300, pad_id=0, unk_id=1, bos_id=-1, eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"], minloglevel=2,
    )
    proto = (tmp_path / "spiece.model").read_bytes()
    assert "BPE" in fast_sentencepiece.unsupported_reason(proto)
    auto = AlbertTokenizer(proto, implementation="auto")
    assert not auto.uses_fast_op and "BPE" in auto.fallback_reason
    with pytest.raises(ValueError, match="implementation='fast'.*BPE"):
        AlbertTokenizer(proto, implementation="fast")
    with pytest.raises(ValueError, match="`implementation` must be one of"):
        AlbertTokenizer(proto, implementation="quick")


def test_auto_picks_fast_and_config_keeps_the_option(spm_vocab_dir):
    auto = AlbertTokenizer(spm_vocab_dir, implementation="auto")
    assert auto.uses_fast_op and auto.fallback_reason is None
    config = auto.get_config()
    assert config["implementation"] == "auto" and config["proto"] is None


def test_saved_model_with_the_fast_op_passes_the_allowlist(fast, standard, texts, tmp_path):
    module = tf.Module()
    module.tokenizer = fast
    module.serve = tf.function(lambda t: fast(t).to_tensor(), input_signature=[tf.TensorSpec([None], tf.string)])
    tf.saved_model.save(module, str(tmp_path))
    ops = op_allowlist.check_ops(str(tmp_path))
    assert "TFText>FastSentencepieceTokenize" in ops and "SentencepieceTokenizeOp" in ops  # overlong strings
    loaded = tf.saved_model.load(str(tmp_path))
    assert loaded.serve(tf.constant(texts[:40])).numpy().tolist() == standard(
        tf.constant(texts[:40])
    ).to_tensor().numpy().tolist()
