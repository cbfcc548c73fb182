"""The BERT WordPiece tokenizer: vocab files, training, the Python twin and the in-graph layer.

The golden set is asserted id for id against Hugging Face's slow
`BertTokenizer` on the committed vocabulary `tests/data/wordpiece/vocab.txt`
(made by `tests/data/make_wordpiece.py`), uncased and cased; the Python twin
and the layer (eager, in `tf.data`, after `tf.saved_model.save` + load and
after a `.keras` round trip) must give the same ids.
"""

import gc
import importlib.util
import pathlib
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from albert_keras.tokenizer import bert_text
from albert_keras.tokenizer import wordpiece_vocab as wpv
from albert_keras.tokenizer.wordpiece_encoder import WordPieceEncoder
from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer
from tests.test_case import run_serialization_test

VOCAB_DIR = pathlib.Path(__file__).resolve().parent / "data" / "wordpiece"
VOCAB_FILE = VOCAB_DIR / "vocab.txt"
REPO_DATA = pathlib.Path(__file__).resolve().parent.parent / "data"

GOLDEN_TEXTS = [
    # English.
    "Hello, world! The quick brown fox jumped over the lazy dog.",
    "unaffable playing jumped happily, the tokenizer tokenizes text",
    "The model was released in 2019",
    # Chinese, with a literal [MASK] and CJK punctuation.
    "猫是[MASK]。",
    "我爱北京天安门",
    "狗也是动物，猫是动物！",
    # Mixed.
    "ALBERT在2019年发布",
    "BERT模型 bert的model",
    # A CJK compatibility ideograph (NFC maps it to 豈), a combining mark after a CJK character, full-width text.
    "\uf900猫\u0301是 ＡＬＢＥＲＴ，２０１９",
    # Accents (precomposed and combining).
    "Café naïve résumé",
    "Cafe\u0301 nai\u0308ve CAFÉ Über garçon niño",
    # Punctuation-heavy.
    'Hello!!! (a,b)--[c]... "q"',
    "a+b=c; x/y\\z? {q} <x> 50% #1 @me ~^_|`'",
    "\u201cquoted\u201d \u2014 dash \u00bfque? \u00abfr\u00bb",
    # Control characters, U+FFFD, zero-width and unassigned code points.
    "a\x00b\x01c\u200bd\ufffde\x7f f\u0378g \x85h\ufeffi",
    # Whitespace runs, tabs, newlines, NBSP, ideographic space, line separator.
    "  hello \t\n\r  world\u3000\u00a0x\u2028y\u2029z  ",
    # Word lengths: 101 chars is [UNK]; 100 chars is not; 60 two-byte chars (120 bytes) is not.
    "a" * 101 + " ok",
    "b" * 100,
    "é" * 60,
    # Unknown characters and words.
    "☃ snow ☃x 🙂 zzqqj vw",
    # Literal special tokens, inside words too; lowercase ones are plain text.
    "[CLS] hello [SEP] world [SEP]",
    "a[MASK]b [PAD][UNK] [mask] [cls]",
    # Case mapping that NFKC case folding would change (ß, ﬁ, full-width, circled digit), İ, final sigma.
    "İSTANBUL ΣΑΣ Straße ﬁne Ａ ① ß",
    # Numbers.
    "1,000,000.50 9,99 2019年",
    # Other scripts.
    "한국어 ひらがな カタカナ Ελληνικά Русский",
    # Empty and blank.
    "",
    "   ",
]
CASES = {
    "uncased": {"lowercase": True},
    "cased": {"lowercase": False},
    "uncased_keep_accents": {"lowercase": True, "strip_accents": False},
    "cased_strip_accents": {"lowercase": False, "strip_accents": True},
}


def _hf_tokenizer(lowercase, strip_accents=None):
    transformers = pytest.importorskip("transformers")
    return transformers.BertTokenizer(
        str(VOCAB_FILE), do_lower_case=lowercase, strip_accents=strip_accents, tokenize_chinese_chars=True
    )


@pytest.fixture(scope="module")
def uncased():
    return WordPieceTokenizer(VOCAB_DIR)


@pytest.fixture(scope="module")
def encoder():
    return WordPieceEncoder(VOCAB_DIR)


def test_make_wordpiece_reproduces_the_committed_vocab(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_wordpiece", VOCAB_DIR.parent / "make_wordpiece.py")
    make_wordpiece = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_wordpiece)
    monkeypatch.setattr(make_wordpiece, "OUTPUT", tmp_path / "vocab.txt")
    make_wordpiece.main()
    assert (tmp_path / "vocab.txt").read_bytes() == VOCAB_FILE.read_bytes()
    assert wpv.read_vocab(tmp_path) == make_wordpiece.tokens()


def test_special_ids_come_from_the_vocab_file(encoder, uncased):
    ids = encoder.special_ids
    assert (ids.pad, ids.unk, ids.cls, ids.sep, ids.mask) == (0, 11, 12, 13, 14)
    assert (ids.pad_token, ids.unk_token, ids.mask_token) == ("[PAD]", "[UNK]", "[MASK]")
    assert uncased.special_ids == ids
    assert uncased.vocabulary_size() == encoder.vocabulary_size() == len(VOCAB_FILE.read_text().splitlines())
    assert uncased.token_to_id("猫") == encoder.vocab["猫"] and uncased.token_to_id("nope") == 11
    assert uncased.id_to_piece(14) == "[MASK]"
    assert uncased.is_word_start("play") and uncased.is_word_start("猫") and not uncased.is_word_start("##ing")


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_set_equals_hf_bert_tokenizer(case):
    options = CASES[case]
    hf = _hf_tokenizer(options["lowercase"], options.get("strip_accents"))
    want = [hf.encode(text, add_special_tokens=False) for text in GOLDEN_TEXTS]
    encoder = WordPieceEncoder(VOCAB_DIR, **options)
    layer = WordPieceTokenizer(VOCAB_DIR, **options)
    twin = [encoder.encode(text) for text in GOLDEN_TEXTS]
    graph = layer(tf.constant(GOLDEN_TEXTS)).to_list()
    for text, w, p, g in zip(GOLDEN_TEXTS, want, twin, graph, strict=True):
        assert p == w, f"Python twin differs from HF on {text!r}: {encoder.tokenize(text)} vs {hf.tokenize(text)}"
        assert g == w, f"layer differs from HF on {text!r}: {g} vs {w}"
    # The set exercises every path: words, ## pieces, CJK, [MASK] and [UNK].
    flat = [i for ids in want for i in ids]
    tokens = {encoder.id_to_piece(i) for i in flat}
    assert len(flat) > 150
    assert {"[MASK]", "[UNK]", "[CLS]", "[SEP]", "猫", "年"} <= tokens
    assert any(t.startswith("##") for t in tokens)


def _corpus_lines(name, n):
    lines = [line.strip() for line in (REPO_DATA / name).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and line != "%"][:n]


@pytest.mark.parametrize("lowercase", [True, False], ids=["uncased", "cased"])
def test_corpus_golden_set_equals_hf_bert_tokenizer_on_a_trained_vocab(tmp_path, lowercase):
    # 400 lines of the bundled English and Chinese corpus, on a vocab trained on every other line:
    # many ## pieces, and [UNK] for the characters of the lines not trained on.
    texts = (_corpus_lines("fortunes/food.txt", 150) + _corpus_lines("fortunes/science.txt", 100)
             + _corpus_lines("zh/chinese.txt", 100) + _corpus_lines("zh/tang300.txt", 50))
    wpv.write_wordpiece_vocab(tmp_path, wpv.train_wordpiece(texts[::2], 700, lowercase=lowercase), lowercase)
    transformers = pytest.importorskip("transformers")
    hf = transformers.BertTokenizer(str(tmp_path / "vocab.txt"), do_lower_case=lowercase)
    want = [hf.encode(text, add_special_tokens=False) for text in texts]
    encoder = WordPieceEncoder(tmp_path)
    assert [encoder.encode(text) for text in texts] == want
    assert WordPieceTokenizer(tmp_path)(tf.constant(texts)).to_list() == want
    flat = [i for ids in want for i in ids]
    assert len(texts) == 400 and len(flat) > 8000
    assert sum(encoder.id_to_piece(i).startswith("##") for i in flat) > 2000
    assert 0 < flat.count(encoder.special_ids.unk) < len(flat) // 10


# Pieces the random texts are drawn from: vocab words and ## material, CJK, accents (pre- and
# decomposed), punctuation, symbols, whitespace and control characters, and literal special tokens.
_FUZZ_POOL = (
    ["play", "ing", "token", "izer", "The", "ALBERT", "Café", "na", "ïve", "19", "2019", "x", "q", "un", "aff", "able"]
    + list("猫是我爱北京年。，！豈") + ["e\u0301", "\u00e9", "ß", "ﬁ", "Ａ", "①", "İ", "Σ", "ς", "한", "カ"]
    + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + ["\u2014", "\u00bf", "\u201c", "☃", "🙂", "$", "€"]
    + [" ", "  ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u2028", "\x00", "\x01", "\x7f", "\u200b", "\ufffd"]
    + ["[MASK]", "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[mask]", "[MAS", "K]"]
)


@pytest.mark.parametrize("lowercase", [True, False], ids=["uncased", "cased"])
def test_random_texts_equal_hf_bert_tokenizer(lowercase):
    rng = np.random.default_rng(15)
    # Indices, not rng.choice: numpy strings would drop a trailing "\x00".
    texts = ["".join(_FUZZ_POOL[i] for i in rng.integers(0, len(_FUZZ_POOL), size=rng.integers(1, 25)))
             for _ in range(300)]
    assert sum("\x00" in t for t in texts) > 10 and sum("[MASK]" in t for t in texts) > 10
    hf = _hf_tokenizer(lowercase)
    want = [hf.encode(text, add_special_tokens=False) for text in texts]
    encoder = WordPieceEncoder(VOCAB_DIR, lowercase=lowercase)
    assert [encoder.encode(text) for text in texts] == want
    assert WordPieceTokenizer(VOCAB_DIR, lowercase=lowercase)(tf.constant(texts)).to_list() == want
    assert sum(len(ids) for ids in want) > 3000


def test_known_token_strings(encoder):
    cased = WordPieceEncoder(VOCAB_DIR, lowercase=False)
    assert encoder.tokenize("unaffable") == ["un", "##aff", "##able"]
    assert encoder.tokenize("ALBERT在2019年发布") == ["albert", "在", "2019", "年", "发", "布"]
    assert cased.tokenize("ALBERT在2019年发布") == ["ALBERT", "在", "2019", "年", "发", "布"]
    assert encoder.tokenize("猫是[MASK]。") == ["猫", "是", "[MASK]", "。"]
    assert encoder.tokenize("Café naïve résumé") == ["cafe", "naive", "resume"]
    assert cased.tokenize("Café naïve résumé") == ["Café", "naïve", "résumé"]
    assert encoder.tokenize('Hello!!! (a,b)--[c]... "q"') == [
        "hello", "!", "!", "!", "(", "a", ",", "b", ")", "-", "-", "[", "c", "]", ".", ".", ".", '"', "q", '"'
    ]
    assert encoder.tokenize("a" * 101) == ["[UNK]"] and encoder.tokenize("☃x") == ["[UNK]"]
    # StringLower, not NFKC case folding: ß, ﬁ and full-width letters stay.
    assert encoder.tokenize("Straße ﬁ Ａ") == ["s", "##t", "##r", "##a", "##ß", "##e", "ﬁ", "ａ"]


def test_scalar_dense_and_tf_data(uncased, encoder):
    texts = ["猫是[MASK]。", "Hello world, the quick fox!", ""]
    want = [encoder.encode(t) for t in texts]
    np.testing.assert_array_equal(uncased(tf.constant(texts[0])).numpy(), want[0])
    dense = WordPieceTokenizer(VOCAB_DIR, sequence_length=6)(tf.constant(texts)).numpy()
    assert dense.shape == (3, 6)
    for row, ids in zip(dense, want, strict=True):
        ids = ids[:6]
        assert list(row) == ids + [encoder.special_ids.pad] * (6 - len(ids))
    dataset = tf.data.Dataset.from_tensor_slices(GOLDEN_TEXTS).batch(4).map(uncased)
    got = [row for batch in dataset for row in batch.to_list()]
    assert got == [encoder.encode(t) for t in GOLDEN_TEXTS]


def test_detokenize_and_id_to_token(uncased, encoder):
    texts = ["猫是[MASK]。我爱北京", "Hello, unaffable playing world!", "[CLS] ALBERT在2019年发布 [SEP]"]
    ids = uncased(tf.constant(texts))
    got = [t.decode("utf-8") for t in uncased.detokenize(ids).numpy()]
    want = [encoder.decode(encoder.encode(t)) for t in texts]
    assert got == want
    assert want == ["猫是。我爱北京", "hello , unaffable playing world !", "albert在2019年发布"]
    assert encoder.decode(encoder.encode("我爱 hello world ！")) == "我爱hello world！"
    dense = WordPieceTokenizer(VOCAB_DIR, sequence_length=20)(tf.constant(texts))
    assert [t.decode("utf-8") for t in uncased.detokenize(dense).numpy()] == want
    assert uncased.detokenize(tf.constant(encoder.encode(texts[1]))).numpy().decode("utf-8") == want[1]
    tokens = uncased.id_to_token(tf.constant([[14, 0], [encoder.vocab["##ing"], 99999]])).numpy()
    assert tokens.tolist() == [[b"[MASK]", b"[PAD]"], [b"##ing", b"[UNK]"]]
    ragged = uncased.id_to_token(ids)
    assert ragged.to_list()[0][:3] == ["猫".encode(), "是".encode(), b"[MASK]"]


class _Tokenize(tf.Module):
    def __init__(self, tokenizer):
        super().__init__()
        self.tokenizer = tokenizer

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, text):
        ids = self.tokenizer(text)
        return {"ids": ids.to_tensor(-1), "text": self.tokenizer.detokenize(ids)}


def test_saved_model_keeps_ids_without_the_vocab_file_and_uses_only_allowed_ops(tmp_path, encoder):
    from albert_keras.export import op_allowlist

    op_allowlist.prefetch_core_ops()
    vocab_copy = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, vocab_copy)
    module = _Tokenize(WordPieceTokenizer(vocab_copy))
    want = module(tf.constant(GOLDEN_TEXTS))
    tf.saved_model.save(module, str(tmp_path / "saved"))
    del module
    gc.collect()
    shutil.rmtree(vocab_copy)
    loaded = tf.saved_model.load(str(tmp_path / "saved"))
    got = loaded(tf.constant(GOLDEN_TEXTS))
    np.testing.assert_array_equal(got["ids"].numpy(), want["ids"].numpy())
    np.testing.assert_array_equal(got["text"].numpy(), want["text"].numpy())
    rows = [[i for i in row if i >= 0] for row in got["ids"].numpy().tolist()]
    assert rows == [encoder.encode(t) for t in GOLDEN_TEXTS]

    saved = str(tmp_path / "saved")
    ops = set(op_allowlist.saved_model_ops(saved))
    assert {"WordpieceTokenizeWithOffsets", "RegexSplitWithOffsets", "NormalizeUTF8"} <= ops
    assert not {op for op in ops if "Fast" in op}, ops
    assert op_allowlist.disallowed_ops(saved) == []


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


def test_keras_file_carries_the_vocab_as_an_asset(tmp_path):
    vocab_copy = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, vocab_copy)
    tokenizer = WordPieceTokenizer(vocab_copy, lowercase=False, sequence_length=12)
    model = _TokenizeModel(tokenizer)
    text = tf.constant(["猫是[MASK]。", "Café ALBERT world"])
    want = model(text).numpy()
    path = tmp_path / "tok.keras"
    model.save(path)
    shutil.rmtree(vocab_copy)
    restored = keras.saving.load_model(path)
    np.testing.assert_array_equal(restored(text).numpy(), want)
    assert restored.tokenizer.vocabulary == tokenizer.vocabulary
    assert restored.tokenizer.get_config()["lowercase"] is False
    assert restored.tokenizer.get_config()["sequence_length"] == 12
    assert tokenizer.get_config()["vocabulary"] is None


def test_config_round_trip(uncased):
    run_serialization_test(uncased)
    config = uncased.get_config()
    assert {k: config[k] for k in ("vocabulary", "lowercase", "strip_accents", "sequence_length")} == {
        "vocabulary": None, "lowercase": True, "strip_accents": True, "sequence_length": None}
    with pytest.raises(ValueError, match="no vocabulary"):
        WordPieceTokenizer.from_config(config)(tf.constant(["a"]))


def test_options_come_from_tokenizer_json(tmp_path):
    tokens = wpv.read_vocab(VOCAB_FILE)
    wpv.write_wordpiece_vocab(tmp_path / "cased", tokens, lowercase=False)
    assert wpv.read_options(tmp_path / "cased") == {"lowercase": False, "strip_accents": False}
    layer = WordPieceTokenizer(tmp_path / "cased")
    assert (layer.lowercase, layer.strip_accents) == (False, False)
    assert layer(tf.constant(["Café"])).to_list() == [[tokens.index("Café")]]
    wpv.write_wordpiece_vocab(tmp_path / "keep", tokens, lowercase=True, strip_accents=False)
    assert WordPieceEncoder(tmp_path / "keep").tokenize("Café") == ["caf", "##é"]
    assert wpv.read_vocab(tmp_path / "keep") == tokens
    # Google's Chinese tarballs name the file vocab_chinese.txt; no tokenizer.json means uncased.
    (tmp_path / "zh").mkdir()
    shutil.copy(VOCAB_FILE, tmp_path / "zh" / "vocab_chinese.txt")
    assert wpv.has_vocab(tmp_path / "zh") and not wpv.has_vocab(tmp_path)
    assert WordPieceEncoder(tmp_path / "zh").tokenize("Café猫") == ["cafe", "猫"]
    (tmp_path / "zh" / "tokenizer.json").write_text('{"kind": "sentencepiece"}')
    with pytest.raises(ValueError, match="tokenizer.json: `kind` must be 'wordpiece'"):
        WordPieceEncoder(tmp_path / "zh")


def test_vocab_errors_name_the_file_and_line(tmp_path):
    def vocab(name, lines):
        path = tmp_path / name
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    specials = list(wpv.SPECIAL_TOKENS)
    path = vocab("dup.txt", specials + ["a", "b", "a"])
    with pytest.raises(ValueError, match=r"dup\.txt, line 8: duplicate token 'a' \(first on line 6\)"):
        wpv.read_vocab(path)
    path = vocab("empty.txt", [])
    with pytest.raises(ValueError, match=r"empty\.txt: the WordPiece vocabulary is empty"):
        wpv.read_vocab(path)
    path = vocab("nomask.txt", ["[PAD]", "[UNK]", "[CLS]", "a"])
    with pytest.raises(ValueError, match=r"nomask\.txt: .*Missing: \[SEP\], \[MASK\]"):
        WordPieceTokenizer(path)
    path = vocab("blank.txt", specials + ["a", "", "b"])
    with pytest.raises(ValueError, match=r"blank\.txt, line 7: a token must be non-empty"):
        WordPieceEncoder(path)
    # A whitespace token (released vocabularies have some) and CRLF line ends load, as in BERT.
    path = tmp_path / "crlf.txt"
    path.write_bytes("".join(t + "\r\n" for t in specials + ["\u3000", "a"]).encode("utf-8"))
    assert wpv.read_vocab(path) == specials + ["\u3000", "a"]
    with pytest.raises(FileNotFoundError, match="expected one of vocab.txt, vocab_chinese.txt"):
        wpv.read_vocab(tmp_path)
    with pytest.raises(ValueError, match="shape"):
        WordPieceTokenizer(VOCAB_DIR)(tf.constant([["a"]]))
    with pytest.raises(ValueError, match="sequence_length"):
        WordPieceTokenizer(VOCAB_DIR, sequence_length=0)


TRAINING_TEXT = [
    "我爱北京天安门。猫是动物，狗也是动物！中国的大学生学习中文。",
    "ALBERT在2019年发布。The model was released in 2019.",
    "Tokens: token, tokens, tokenize, tokenized, tokenizer, tokenizers, tokenizing.",
    "Playing, played, plays, player, players: the player plays and replays.",
    "Jumping, jumped, jumps, jumper; walking, walked, walks, walker.",
    "Café naïve résumé",
]


def test_trained_vocab_covers_its_training_text(tmp_path):
    tokens = wpv.train_wordpiece(TRAINING_TEXT, vocab_size=95)
    assert tokens == wpv.train_wordpiece(TRAINING_TEXT, vocab_size=95)  # deterministic
    assert tokens[:5] == list(wpv.SPECIAL_TOKENS) and len(tokens) <= 95
    assert len(set(tokens)) == len(tokens)
    # Every CJK character is a word: it is in the vocab, never as a ## piece.
    assert {"猫", "京", "发", "a", "t", "##e"} <= set(tokens) and not any("猫" in t for t in tokens if t != "猫")
    # Order: special tokens, characters, ## characters, learned words, learned ## pieces.
    kinds = [(len(t.removeprefix("##")) > 1, t.startswith("##")) for t in tokens[5:]]
    assert kinds == sorted(kinds)
    # With little room the learner keeps the frequent stems and suffixes.
    assert {"token", "jump", "play", "##ing", "##ed"} <= set(tokens), tokens
    wpv.write_wordpiece_vocab(tmp_path, tokens, lowercase=True)
    layer = WordPieceTokenizer(tmp_path)
    ids = layer(tf.constant(TRAINING_TEXT)).to_list()
    assert all(layer.special_ids.unk not in row for row in ids)
    assert ids == [layer.encoder.encode(t) for t in TRAINING_TEXT]
    assert layer.encoder.tokenize("jumping") == ["jump", "##ing"]
    # A bigger vocabulary learns longer pieces, so the same text takes fewer tokens.
    big = WordPieceEncoder(wpv.train_wordpiece(TRAINING_TEXT, vocab_size=200))
    assert sum(len(big.encode(t)) for t in TRAINING_TEXT) < sum(len(row) for row in ids)
    with pytest.raises(ValueError, match="`vocab_size` must be an int > 5"):
        wpv.train_wordpiece(TRAINING_TEXT, vocab_size=5)
    with pytest.raises(ValueError, match="No text"):
        wpv.train_wordpiece(["", "  "], vocab_size=50)


def test_basic_tokenize_splits_cjk_and_punctuation():
    assert bert_text.basic_tokenize("ALBERT在2019年,发布!") == ["albert", "在", "2019", "年", ",", "发", "布", "!"]
    assert bert_text.join_tokens(["albert", "在", "20", "##19", "年", "。", "ok"]) == "albert在2019年。ok"
