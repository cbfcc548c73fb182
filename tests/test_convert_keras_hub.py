"""KerasHub ALBERT presets both ways: parity with KerasHub, the tokenizer, round trips and refusals."""

import json
import os
import shutil

import h5py
import numpy as np
import pytest

from albert_keras import convert
from albert_keras.cli import main
from albert_keras.convert.keras_hub import read_weights_h5
from albert_keras.model_dir import backbone_config, load_model_dir, read_config, save_model_dir
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.pretrainer import AlbertPretrainer
from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder
from tests.model_helpers import random_inputs, randomize_weights

keras_hub = pytest.importorskip("keras_hub")

TOL = 1e-5
SPM = os.path.join(os.path.dirname(__file__), "data", "spm", "spiece.model")
VOCAB = 1000  # tests/data/spm/spiece.model
CONFIGS = {
    # E != H, 2 groups x 2 inner repetitions: KerasHub numbers four TransformerEncoders.
    "grouped": dict(num_layers=4, num_heads=2, num_groups=2, num_inner_repetitions=2, embedding_dim=6,
                    hidden_dim=8, intermediate_dim=16),
    "plain": dict(num_layers=3, num_heads=3, embedding_dim=12, hidden_dim=12, intermediate_dim=20),
}
TEXTS = ["the quick brown fox jumped over the lazy dog.", "hello world", "a cat sat on the mat and it was happy"]
INPUTS = random_inputs(batch=3, seq_len=12, vocab=VOCAB, num_real=[12, 8, 3], seed=5)


def keras_hub_preset(directory, name, seed=7, **overrides):
    """Saves a KerasHub AlbertBackbone (random weights) and AlbertTokenizer as a preset; returns the backbone."""
    config = dict(vocabulary_size=VOCAB, max_sequence_length=16, dropout=0.0, **CONFIGS[name])
    config.update(overrides)
    backbone = keras_hub.models.AlbertBackbone(**config)
    randomize_weights(backbone, seed=seed, scale=0.3)
    backbone.save_to_preset(str(directory))
    keras_hub.models.AlbertTokenizer(proto=SPM).save_to_preset(str(directory))
    return backbone


def our_model_dir(directory, seed=3, **overrides):
    """Writes our backbone (random weights) with the test vocabulary; returns it."""
    config = dict(vocabulary_size=VOCAB, max_sequence_length=16, **CONFIGS["grouped"])
    config.update(overrides)
    backbone = AlbertBackbone(**config)
    randomize_weights(backbone, seed=seed, scale=0.3)
    save_model_dir(backbone, str(directory), spm_path=SPM,
                   tokenizer_options={"lowercase": True, "strip_accents": True})
    return backbone


def diffs(expected, got):
    """Max abs diffs of the sequence output (real positions) and the pooled output."""
    real = INPUTS["padding_mask"].astype(bool)
    seq = np.abs(np.asarray(expected["sequence_output"]) - np.asarray(got["sequence_output"]))[real].max()
    pooled = np.abs(np.asarray(expected["pooled_output"]) - np.asarray(got["pooled_output"])).max()
    return float(seq), float(pooled)


def as_lists(ids):
    """Token ids as lists of ints (KerasHub's tokenizer returns lists eagerly, ours a RaggedTensor)."""
    ids = ids.to_list() if hasattr(ids, "to_list") else ids
    return [[int(i) for i in row] for row in ids]


def record(label, seq, pooled):
    print(f"\nPARITY keras_hub/{label}: sequence_output={seq:.2e}, pooled_output={pooled:.2e}")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_from_keras_hub_preset_matches_keras_hub(name, tmp_path):
    reference = keras_hub_preset(tmp_path / "preset", name)
    ours = convert.from_keras_hub(str(tmp_path / "preset"), output=str(tmp_path / "ours"))
    assert isinstance(ours, AlbertBackbone)
    seq, pooled = diffs(reference(INPUTS), ours(INPUTS))
    record(f"from_preset {name}", seq, pooled)
    assert seq <= TOL and pooled <= TOL
    # The weights are not trivially equal: the outputs are far from zero.
    assert np.abs(np.asarray(ours(INPUTS)["sequence_output"])).mean() > 0.1
    config = backbone_config(read_config(str(tmp_path / "ours")))
    for key, value in CONFIGS[name].items():
        assert config[key] == value
    assert config["sharing"] == "all" and config["activation"] == "gelu_approximate"
    # The model directory reloads to the same outputs and holds the vocabulary.
    reloaded = load_model_dir(str(tmp_path / "ours"))
    assert np.array_equal(reloaded(INPUTS)["pooled_output"], ours(INPUTS)["pooled_output"])
    with open(SPM, "rb") as a, open(tmp_path / "ours" / "spiece.model", "rb") as b:
        assert a.read() == b.read()
    meta = json.load(open(tmp_path / "ours" / "metadata.json"))
    assert meta["source"] == "KerasHub preset" and meta["converted_variables"] == len(ours.weights)


def test_tokenizer_ids_equal_keras_hub(tmp_path):
    keras_hub_preset(tmp_path / "preset", "plain")
    convert.from_keras_hub(str(tmp_path / "preset"), output=str(tmp_path / "ours"))
    # KerasHub's AlbertTokenizer neither lowercases nor strips accents; the converted directory says so.
    assert json.load(open(tmp_path / "ours" / "tokenizer.json")) == {"lowercase": False, "strip_accents": False}
    theirs = keras_hub.models.AlbertTokenizer.from_preset(str(tmp_path / "preset"))
    ours = AlbertTokenizer(proto=str(tmp_path / "ours"))
    encoder = SentencePieceEncoder(str(tmp_path / "ours"))
    texts = TEXTS + ["The Quick Brown Fox.", "Ünïcödé àccents"]
    expected = as_lists(theirs(texts))
    assert as_lists(ours(texts)) == expected
    assert [encoder.encode(t) for t in texts] == expected
    assert all(len(ids) > 2 for ids in expected)
    # Where ours follows the original ALBERT, plain SentencePiece differs: a literal [MASK] stays id 4 here.
    assert 4 in encoder.encode("a free [MASK].") and 4 not in as_lists(theirs(["a free [MASK]."]))[0]


def test_from_keras_hub_lowercase_option(tmp_path):
    keras_hub_preset(tmp_path / "preset", "plain")
    assert main(["convert", "--from", "keras_hub", "--input", str(tmp_path / "preset"), "--output",
                 str(tmp_path / "ours"), "--lowercase", "--strip-accents"]) == 0
    assert json.load(open(tmp_path / "ours" / "tokenizer.json")) == {"lowercase": True, "strip_accents": True}
    encoder = SentencePieceEncoder(str(tmp_path / "ours"))
    assert encoder.encode("The Quick Fox") == encoder.encode("the quick fox")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_to_keras_hub_loads_in_keras_hub(name, tmp_path):
    config = dict(CONFIGS[name])
    config.setdefault("num_groups", 1)
    config.setdefault("num_inner_repetitions", 1)
    ours = our_model_dir(tmp_path / "ours", **config)
    assert main(["convert", "--to", "keras_hub", "--input", str(tmp_path / "ours"), "--output",
                 str(tmp_path / "preset")]) == 0
    theirs = keras_hub.models.AlbertBackbone.from_preset(str(tmp_path / "preset"))
    seq, pooled = diffs(theirs(INPUTS), ours(INPUTS))
    record(f"to_preset {name}", seq, pooled)
    assert seq <= TOL and pooled <= TOL
    assert np.abs(np.asarray(theirs(INPUTS)["sequence_output"])).mean() > 0.1
    tokenizer = keras_hub.models.AlbertTokenizer.from_preset(str(tmp_path / "preset"))
    assert tokenizer.vocabulary_size() == VOCAB
    # Lowercase text: our lowercasing tokenizer and KerasHub's agree.
    assert as_lists(tokenizer(TEXTS)) == as_lists(AlbertTokenizer(proto=str(tmp_path / "ours"))(TEXTS))
    meta = json.load(open(tmp_path / "preset" / "metadata.json"))
    assert meta["keras_version"] and meta["parameter_count"] == ours.count_params()
    assert meta["albert_keras"]["tokenizer_options"] == {"lowercase": True, "strip_accents": True}


def test_round_trip_is_bit_for_bit(tmp_path):
    # Settings KerasHub lacks travel in metadata.json.
    ours = our_model_dir(tmp_path / "ours", attention_dropout=0.05, dropout=0.1, initializer_range=0.03)
    convert.to_keras_hub(str(tmp_path / "ours"), str(tmp_path / "preset"))
    back = convert.from_keras_hub(str(tmp_path / "preset"), output=str(tmp_path / "back"))
    assert back.get_config() == ours.get_config()
    assert [w.path for w in back.weights] == [w.path for w in ours.weights]
    for a, b in zip(ours.weights, back.weights, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a.numpy(), b.numpy()), a.path
    assert json.load(open(tmp_path / "back" / "tokenizer.json")) == {"lowercase": True, "strip_accents": True}
    with open(tmp_path / "ours" / "spiece.model", "rb") as a, open(tmp_path / "back" / "spiece.model", "rb") as b:
        assert a.read() == b.read()


def test_pretrainer_exports_its_backbone(tmp_path, caplog):
    backbone = AlbertBackbone(vocabulary_size=VOCAB, max_sequence_length=16, **CONFIGS["grouped"])
    randomize_weights(backbone, seed=1, scale=0.3)
    save_model_dir(AlbertPretrainer(backbone), str(tmp_path / "ours"))
    with caplog.at_level("WARNING", logger="albert_keras.convert"):
        convert.to_keras_hub(str(tmp_path / "ours"), str(tmp_path / "preset"))
    assert "backbone only" in caplog.text and "no spiece.model" in caplog.text
    assert not os.path.exists(tmp_path / "preset" / "tokenizer.json")
    theirs = keras_hub.models.AlbertBackbone.from_preset(str(tmp_path / "preset"))
    seq, pooled = diffs(theirs(INPUTS), backbone(INPUTS))
    assert seq <= TOL and pooled <= TOL


@pytest.fixture(scope="module")
def saved_preset(tmp_path_factory):
    directory = tmp_path_factory.mktemp("kh") / "preset"
    keras_hub_preset(directory, "grouped")
    return directory


def _copy(preset, tmp_path):
    target = tmp_path / "preset"
    shutil.copytree(preset, target)
    return target


def test_written_file_has_keras_hub_layout(saved_preset, tmp_path):
    """KerasHub → ours → KerasHub: the same datasets, layer names and bits as KerasHub's own file."""
    convert.from_keras_hub(str(saved_preset), output=str(tmp_path / "ours"))
    convert.to_keras_hub(str(tmp_path / "ours"), str(tmp_path / "preset"))
    theirs = {path: (key, array) for path, key, array in read_weights_h5(str(saved_preset / "model.weights.h5"))}
    ours = {path: (key, array) for path, key, array in read_weights_h5(str(tmp_path / "preset" / "model.weights.h5"))}
    assert sorted(ours) == sorted(theirs)
    for path, (key, array) in theirs.items():
        assert key is not None and ours[path][0] == key
        assert ours[path][1].dtype == array.dtype and np.array_equal(ours[path][1], array), path
    assert json.load(open(tmp_path / "preset" / "config.json")) == json.load(open(saved_preset / "config.json"))


def test_missing_weight_is_named(saved_preset, tmp_path):
    preset = _copy(saved_preset, tmp_path)
    with h5py.File(preset / "model.weights.h5", "a") as f:
        del f["layers/dense_1/vars/1"]  # pooled_dense/bias
    with pytest.raises(ValueError) as err:
        convert.from_keras_hub(str(preset))
    assert "missing" in str(err.value) and "pooled_dense/bias" in str(err.value)


def test_extra_weight_is_named(saved_preset, tmp_path):
    preset = _copy(saved_preset, tmp_path)
    with h5py.File(preset / "model.weights.h5", "a") as f:
        f.create_group("layers/dense_2/vars").attrs["name"] = "extra_head"
        f["layers/dense_2/vars/0"] = np.zeros((8, 2), "float32")
    with pytest.raises(ValueError) as err:
        convert.from_keras_hub(str(preset))
    assert "layers/dense_2/vars/0 (extra_head/0)" in str(err.value)


def test_wrong_shape_is_named(saved_preset, tmp_path):
    preset = _copy(saved_preset, tmp_path)
    config = json.load(open(preset / "config.json"))
    config["config"]["intermediate_dim"] = 24
    json.dump(config, open(preset / "config.json", "w"))
    with pytest.raises(ValueError) as err:
        convert.from_keras_hub(str(preset))
    message = str(err.value)
    assert "group_1_inner_layer_1/feedforward_intermediate_dense/kernel" in message and "(8, 24)" in message


def test_file_without_layer_names_reads_by_dataset_path(saved_preset, tmp_path):
    """Older Keras versions wrote no `name` attributes: the dataset paths still map."""
    preset = _copy(saved_preset, tmp_path)
    with h5py.File(preset / "model.weights.h5", "a") as f:
        f.visititems(lambda name, obj: obj.attrs.pop("name") if "name" in obj.attrs else None)
    reference = keras_hub.models.AlbertBackbone.from_preset(str(saved_preset))
    ours = convert.from_keras_hub(str(preset))
    seq, pooled = diffs(reference(INPUTS), ours(INPUTS))
    assert seq <= TOL and pooled <= TOL


def test_bfloat16_preset_both_ways(tmp_path):
    reference = keras_hub_preset(tmp_path / "preset", "grouped", dtype="bfloat16")
    ours = convert.from_keras_hub(str(tmp_path / "preset"), output=str(tmp_path / "ours"))
    assert ours.get_config()["dtype"] == "bfloat16"
    by_path = {w.path: w.numpy() for w in reference.weights}
    assert np.array_equal(ours.token_embedding.embeddings.numpy(), by_path["token_embedding/embeddings"])
    convert.to_keras_hub(str(tmp_path / "ours"), str(tmp_path / "back"))
    # KerasHub's from_preset builds with the default dtype unless told; the stored bfloat16 values are kept.
    again = keras_hub.models.AlbertBackbone.from_preset(str(tmp_path / "back"), dtype="bfloat16")
    for w in again.weights:
        assert str(w.dtype) == "bfloat16" and np.array_equal(w.numpy(), by_path[w.path]), w.path


@pytest.mark.parametrize(
    "overrides, field",
    [
        (dict(sharing="attention"), "`sharing`"),
        (dict(activation="relu"), "`activation`"),
        (dict(layer_norm_epsilon=1e-6), "`layer_norm_epsilon`"),
        (dict(embedding_projection="token_only"), "`embedding_projection`"),
    ],
)
def test_to_keras_hub_refuses_what_keras_hub_cannot_hold(overrides, field, tmp_path):
    our_model_dir(tmp_path / "ours", **overrides)
    with pytest.raises(ValueError) as err:
        convert.to_keras_hub(str(tmp_path / "ours"), str(tmp_path / "preset"))
    assert field in str(err.value)
    assert main(["convert", "--to", "keras_hub", "--input", str(tmp_path / "ours"), "--output",
                 str(tmp_path / "preset2")]) == 1


def test_to_keras_hub_refuses_wordpiece_vocab(tmp_path):
    backbone = AlbertBackbone(vocabulary_size=VOCAB, max_sequence_length=16, **CONFIGS["grouped"])
    save_model_dir(backbone, str(tmp_path / "ours"))
    with open(tmp_path / "ours" / "vocab.txt", "w") as f:
        f.write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n")
    with pytest.raises(ValueError) as err:
        convert.to_keras_hub(str(tmp_path / "ours"), str(tmp_path / "preset"))
    assert "vocab.txt" in str(err.value) and "SentencePiece only" in str(err.value)


def test_from_keras_hub_refuses_other_presets(saved_preset, tmp_path):
    preset = _copy(saved_preset, tmp_path)
    config = json.load(open(preset / "config.json"))
    config["config"]["rotary_max_wavelength"] = 10000
    json.dump(config, open(preset / "config.json", "w"))
    with pytest.raises(ValueError, match="rotary_max_wavelength"):
        convert.from_keras_hub(str(preset))
    config["registered_name"] = "keras_hub>BertBackbone"
    json.dump(config, open(preset / "config.json", "w"))
    with pytest.raises(ValueError, match="keras_hub>BertBackbone"):
        convert.from_keras_hub(str(preset))
    assert convert.is_keras_hub_preset(str(preset)) and not convert.is_keras_hub_preset(str(tmp_path))


def test_product_code_imports_no_keras_hub():
    """keras_hub is a dev-only dependency: the converter reads and writes presets without it."""
    import grimp

    graph = grimp.build_graph("albert_keras", include_external_packages=True)
    importers = graph.find_modules_that_directly_import("keras_hub") if "keras_hub" in graph.modules else set()
    assert not importers
    assert "albert_keras.convert.keras_hub" in graph.find_modules_that_directly_import("h5py")
