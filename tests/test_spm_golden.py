"""SentencePiece golden set: our ids equal the original ALBERT algorithm's, id for id.

The reference is google-research/albert `tokenization.py`, restated below
(`original_preprocess_text`, `original_encode_pieces`, `PieceToId`), and HF
transformers' slow `AlbertTokenizer`, which implements the same algorithm.
Every text is checked in the Python twin (`SentencePieceEncoder`), in the
in-graph layer (`AlbertTokenizer`) eagerly, in `tf.data` and in a
`tf.saved_model` function.

Two vocabularies: the committed 1000-piece test model (`tests/data/spm`),
which has no piece that ends in a digit and ``,``, and `digit_comma_vocab`,
trained here in a fraction of a second (seed 0, one thread) on text full of
``2014,`` and ``1,000,000,``, so that it has such pieces (``▁2014,``,
``2014,``, ``000,`` ...) and the digit-comma rule of `encode_pieces` fires;
`test_digit_comma_rule_fires_in_every_branch` checks that it does.

Text with a literal special token has no reference implementation (the
original feeds only plain text to SentencePiece); its expected pieces are
written out below.
"""

import collections
import gc
import importlib.util
import pathlib
import sys
import unicodedata

import numpy as np
import pytest
import sentencepiece as spm
import tensorflow as tf

from albert_keras.masking import word_boundaries
from albert_keras.tokenizer import pieces as piece_rules
from albert_keras.tokenizer import special_ids, vocab
from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

SPM_DIR = pathlib.Path(__file__).resolve().parent / "data" / "spm"
UNDERLINE = "\u2581"

# Plain text (no special tokens), checked against both references.
GOLDEN = [
    "9,99",
    "It costs 9,99 euros, not 12,5.",
    "2014,",
    "In 2014, and 1999, the",
    "Im Juli 2014, im Mai 2012,",
    "1,000,000,",
    "about 1,000,000, people",
    "x2014, y12, z9,",
    "(ca.2014, 3,5)",
    "a,b,,c 1,,2",
    "Café naïve Ångström",
    "Ünïcödé résumé façade",
    "He said ``quoted'' twice.",
    "``quoted''",
    "  leading and trailing  ",
    "tabs\tand\nnewlines\r\n here\t\t now",
    "many     spaces   between",
    "猫是动物。",
    "我爱北京天安门",
    "The 猫 is 动物, 2014, ok",
    "ＡＢＣ１２３，",
    "龘 unknown ☃,",
    "",
]

# Text with literal special tokens: the expected pieces of the committed vocabulary.
SPECIAL_GOLDEN_SPM = [
    ("a free [MASK].", ["▁a", "▁fr", "e", "e", "[MASK]", "."]),
    ("a free [MASK] .", ["▁a", "▁fr", "e", "e", "[MASK]", "▁", "."]),
    ("猫是[MASK]。", ["▁", "猫", "是", "[MASK]", "。"]),
    ("猫是[MASK] 。", ["▁", "猫", "是", "[MASK]", "▁", "。"]),
    ("[CLS]Hello World[SEP] cats [MASK]", ["[CLS]", "h", "ell", "o", "▁wor", "ld", "[SEP]", "▁c", "at", "s", "[MASK]"]),
    ("[MASK][MASK]x [MASK]\ty", ["[MASK]", "[MASK]", "x", "[MASK]", "▁", "y"]),
    ("[MASK]1,000,000,", ["[MASK]", "1", ",", "0", "00", ",", "00", "0", ","]),
    ("[SEP]", ["[SEP]"]),
]

# The same for the digit-comma vocabulary: the rule applies after a special token too.
SPECIAL_GOLDEN_DIGIT_COMMA = [
    # "2014, and" glued: the no-prefix model gives "2014," "▁and"; "2014" re-encoded is "▁20" "1" "4",
    # and "▁20" loses its "▁" because "2014," had none.
    ("in [MASK]2014, and", ["▁in", "[MASK]", "20", "1", "4", ",", "▁and"]),
    # After a space: "▁2014," "▁and"; the re-encoded "▁20" keeps its "▁".
    ("in [MASK] 2014, and", ["▁in", "[MASK]", "▁20", "1", "4", ",", "▁and"]),
    # "9,99" glued: "9," "99"; "9" re-encoded is "▁" "9", and the lone "▁" is dropped.
    ("[CLS]9,99[SEP]", ["[CLS]", "9", ",", "99", "[SEP]"]),
    # "2012, y" glued: "20" "12," "▁" "y"; "12," -> "1" "2" ",".
    ("[MASK]2012, y", ["[MASK]", "20", "1", "2", ",", "▁", "y"]),
]


def original_preprocess_text(inputs: str, lower: bool = True) -> str:
    """`preprocess_text` of google-research/albert tokenization.py (remove_space=True)."""
    outputs = " ".join(inputs.strip().split())
    outputs = outputs.replace("``", '"').replace("''", '"')
    outputs = unicodedata.normalize("NFKD", outputs)
    outputs = "".join(c for c in outputs if not unicodedata.combining(c))
    if lower:
        outputs = outputs.lower()
    return outputs


def original_encode_pieces(sp_model, text: str, branches: collections.Counter | None = None) -> list[str]:
    """`encode_pieces` of tokenization.py (Python 3, no sampling); counts which branch of the rule ran."""
    pieces = sp_model.EncodeAsPieces(text)
    new_pieces = []
    for piece in pieces:
        if len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit():
            cur_pieces = sp_model.EncodeAsPieces(piece[:-1].replace(UNDERLINE, ""))
            branch = "prefixed"
            if piece[0] != UNDERLINE and cur_pieces[0][0] == UNDERLINE:
                if len(cur_pieces[0]) == 1:
                    cur_pieces = cur_pieces[1:]
                    branch = "dropped"
                else:
                    cur_pieces[0] = cur_pieces[0][1:]
                    branch = "stripped"
            if branches is not None:
                branches[branch] += 1
            cur_pieces.append(piece[-1])
            new_pieces.extend(cur_pieces)
        else:
            new_pieces.append(piece)
    return new_pieces


def original_ids(sp_model, text: str) -> list[int]:
    """FullTokenizer.tokenize + convert_tokens_to_ids: `PieceToId` of every piece."""
    return [sp_model.PieceToId(p) for p in original_encode_pieces(sp_model, original_preprocess_text(text))]


def _digit_comma_documents() -> list[str]:
    spec = importlib.util.spec_from_file_location("make_spm", SPM_DIR.parent / "make_spm.py")
    make_spm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_spm)
    import random

    rng = random.Random(0)
    documents = make_spm.documents()[:40]
    for _ in range(300):
        year = rng.choice([2012, 2014, 1999, 2001, 1969])
        number = rng.choice(["1,000,000", "9,99", "42", "3,5", "12,5"])
        documents.append(f"im juli {year}, im mai 2012, about {number}, people in {year}, and x{year}, 2014, 2014,")
    return documents


@pytest.fixture(scope="module")
def digit_comma_vocab(tmp_path_factory):
    """A 400-piece vocabulary dir whose pieces include ones that end in a digit and ``,``."""
    proto = vocab.train_sentencepiece(_digit_comma_documents(), vocab_size=400, seed=0, num_threads=1)
    out = tmp_path_factory.mktemp("digit_comma_vocab")
    vocab.write_vocab_dir(out, proto, {"lowercase": True, "strip_accents": True, "seed": 0})
    return out


@pytest.fixture(scope="module", params=["committed", "digit_comma"])
def vocab_dir(request, digit_comma_vocab):
    return SPM_DIR if request.param == "committed" else digit_comma_vocab


def _sp(vocab_dir) -> spm.SentencePieceProcessor:
    return spm.SentencePieceProcessor(model_file=str(pathlib.Path(vocab_dir) / "spiece.model"))


def _special_golden(vocab_dir, digit_comma_vocab):
    return SPECIAL_GOLDEN_DIGIT_COMMA if vocab_dir == digit_comma_vocab else SPECIAL_GOLDEN_SPM


def test_ids_equal_the_original_algorithm_in_python_and_in_graph(vocab_dir):
    sp = _sp(vocab_dir)
    encoder = SentencePieceEncoder(vocab_dir)
    layer = AlbertTokenizer(vocab_dir)
    in_graph = layer(tf.constant(GOLDEN)).to_list()
    for text, graph_ids in zip(GOLDEN, in_graph, strict=True):
        want = original_ids(sp, text)
        assert encoder.encode(text) == want, text
        assert graph_ids == want, text
        assert encoder.encode_pieces(text) == original_encode_pieces(sp, original_preprocess_text(text)), text
    assert sum(len(ids) for ids in in_graph) > 150


def test_ids_equal_hf_slow_albert_tokenizer(vocab_dir):
    transformers = pytest.importorskip("transformers")
    hf = transformers.AlbertTokenizer(
        str(pathlib.Path(vocab_dir) / "spiece.model"), do_lower_case=True, remove_space=True, keep_accents=False
    )
    encoder = SentencePieceEncoder(vocab_dir)
    for text in GOLDEN:
        assert encoder.encode(text) == hf.encode(text, add_special_tokens=False), text
        assert encoder.encode_pieces(text) == hf.tokenize(text), text


def test_digit_comma_rule_fires_in_every_branch(digit_comma_vocab):
    sp = _sp(digit_comma_vocab)
    branches = collections.Counter()
    for text in GOLDEN:
        original_encode_pieces(sp, original_preprocess_text(text), branches)
    # "▁2014," (marked), "9," -> "▁" "9" -> "9" (lone "▁" dropped), "2014," -> "▁20" ... -> "20" (stripped).
    assert branches["prefixed"] >= 1 and branches["dropped"] >= 1 and branches["stripped"] >= 1, branches
    encoder = SentencePieceEncoder(digit_comma_vocab)
    text = "Im Juli 2014, im Mai 2012,"
    assert sp.EncodeAsPieces(original_preprocess_text(text))[3] == "▁2014,"
    assert encoder.encode_pieces(text)[3:7] == ["▁20", "1", "4", ","]  # "2014" re-encoded, then ","
    assert encoder.encode(text) != sp.encode(original_preprocess_text(text))  # plain SentencePiece differs
    # On the committed vocabulary no piece ends in digit + ",", so there the rule changes nothing.
    committed = _sp(SPM_DIR)
    assert not any(piece_rules.is_digit_comma(committed.id_to_piece(i)) for i in range(committed.get_piece_size()))


def test_text_glued_to_a_special_token_gets_no_prefix_piece(vocab_dir, digit_comma_vocab):
    encoder = SentencePieceEncoder(vocab_dir)
    layer = AlbertTokenizer(vocab_dir)
    golden = _special_golden(vocab_dir, digit_comma_vocab)
    texts = [text for text, _ in golden]
    in_graph = layer(tf.constant(texts)).to_list()
    for (text, want_pieces), graph_ids in zip(golden, in_graph, strict=True):
        want = [encoder.token_to_id(p) for p in want_pieces]
        assert encoder.encode_pieces(text) == want_pieces, text
        assert encoder.encode(text) == want, text
        assert graph_ids == want, text
        assert [encoder.id_to_piece(i) for i in want] == want_pieces, text  # no <unk> hides a wrong piece
    # A special token at the end of one input does not glue the next input to it.
    batch = layer(tf.constant(["cats [MASK]", "9,99 is [SEP]", "hello 9,99"])).to_list()
    assert batch[2] == encoder.encode("hello 9,99") and encoder.encode_pieces("hello 9,99")[0].startswith("▁")


def test_tf_data_and_saved_function_give_the_same_ids(digit_comma_vocab, tmp_path):
    # Both vocabularies in one tf.data pipeline and one SavedModel. A loaded SavedModel shares
    # SentencepieceOp resources whose node names are equal; the layer names its two resources after
    # the proto, so neither the layer's two models (with and without the "▁" prefix) nor two layers mix up.
    texts = GOLDEN + [text for text, _ in SPECIAL_GOLDEN_SPM + SPECIAL_GOLDEN_DIGIT_COMMA]
    vocab_dirs = [SPM_DIR, digit_comma_vocab]
    want = [[SentencePieceEncoder(d).encode(text) for text in texts] for d in vocab_dirs]
    assert want[0] != want[1]
    layers = [AlbertTokenizer(d) for d in vocab_dirs]

    dataset = tf.data.Dataset.from_tensor_slices(texts).map(
        lambda t, tokenizers=tuple(layers): tuple(tokenizer(t) for tokenizer in tokenizers)
    )
    got = [[ids.numpy().tolist() for ids in row] for row in dataset]
    assert [list(column) for column in zip(*got, strict=True)] == want

    class Tokenize(tf.Module):
        def __init__(self, tokenizers):
            super().__init__()
            self.tokenizers = tokenizers

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            out = {}
            for i, tokenizer in enumerate(self.tokenizers):
                ids = tokenizer(text)
                out[f"ids_{i}"], out[f"row_lengths_{i}"] = ids.flat_values, ids.row_lengths()
            return out

    tf.saved_model.save(Tokenize(layers), str(tmp_path / "saved"))
    del layers, dataset
    gc.collect()
    out = tf.saved_model.load(str(tmp_path / "saved"))(tf.constant(texts))
    for i, expected in enumerate(want):
        assert tf.RaggedTensor.from_row_lengths(out[f"ids_{i}"], out[f"row_lengths_{i}"]).to_list() == expected


def test_digit_pattern_matches_python_isdigit():
    chars = [chr(cp) for cp in range(0x3000)] + ["１", "𝟘", "𝟡", "①", "½", "〇", "二", "\U0001fbf0"]
    texts = ["a" + c + "," for c in chars]
    got = tf.strings.regex_full_match(tf.constant(texts), piece_rules.digit_comma_pattern()).numpy().tolist()
    want = [piece_rules.is_digit_comma(t) for t in texts]
    assert got == want
    assert sum(want) > 200  # ASCII, Arabic-Indic, Devanagari ... superscripts, circled digits
    assert piece_rules.is_digit_comma("\u2581\u00b2,") and not piece_rules.is_digit_comma("\u2581\u00bd,")
    assert not piece_rules.is_digit_comma("9") and not piece_rules.is_digit_comma(",")
    assert sys.maxunicode == 0x10FFFF


def test_without_dummy_prefix_changes_only_the_prefix():
    proto = (SPM_DIR / "spiece.model").read_bytes()
    edited = vocab.without_dummy_prefix(proto)
    plain, continuation = spm.SentencePieceProcessor(model_proto=proto), spm.SentencePieceProcessor(model_proto=edited)
    assert plain.encode_as_pieces(".") == ["▁", "."] and continuation.encode_as_pieces(".") == ["."]
    assert continuation.encode_as_pieces("hello world") == ["h", "ell", "o", "▁wor", "ld"]
    size = plain.get_piece_size()
    assert continuation.get_piece_size() == size
    assert all(plain.id_to_piece(i) == continuation.id_to_piece(i) for i in range(size))
    assert vocab.without_dummy_prefix(edited) == edited
    with pytest.raises(ValueError, match="normalizer_spec"):
        vocab.without_dummy_prefix(b"\x08\x01")
    with pytest.raises(ValueError, match="truncated"):
        vocab.without_dummy_prefix(proto[:-3])


def test_special_ids_and_is_word_start_on_both_tokenizers():
    encoder = SentencePieceEncoder(SPM_DIR)
    layer = AlbertTokenizer(SPM_DIR)
    for tokenizer in (encoder, layer):
        assert tokenizer.special_ids == special_ids.SENTENCEPIECE
        ids = tokenizer.special_ids
        assert [tokenizer.id_to_piece(i) for i in (ids.pad, ids.unk, ids.cls, ids.sep, ids.mask)] == [
            ids.pad_token, ids.unk_token, ids.cls_token, ids.sep_token, ids.mask_token
        ]
        assert tokenizer.is_word_start("▁the") and tokenizer.is_word_start("猫") and tokenizer.is_word_start(",")
        assert not tokenizer.is_word_start("ing")
    table = word_boundaries.start_piece_table(encoder.id_to_piece, encoder.vocabulary_size())
    assert table.tolist() == [layer.is_word_start(layer.id_to_piece(i)) for i in range(layer.vocabulary_size())]
    assert word_boundaries.is_start_piece is piece_rules.is_start_piece
    np.testing.assert_array_equal(table[:5], [True, True, False, False, False])
