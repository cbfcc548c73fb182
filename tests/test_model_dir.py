import json
import os
import re

import keras
import numpy as np
import pytest

from albert_keras import (
    AlbertBackbone,
    AlbertClassifier,
    AlbertPretrainer,
    load_model_dir,
    save_model_dir,
)
from albert_keras.model_dir import read_config
from tests.model_helpers import random_inputs, randomize_weights, tiny_backbone
from tests.test_case import assert_all_close


def test_pretrainer_dir_round_trip_and_backbone_reuse(tmp_path):
    pretrainer = AlbertPretrainer(tiny_backbone())
    randomize_weights(pretrainer, seed=3)
    path = str(tmp_path / "model")
    save_model_dir(pretrainer, path, metadata={"source": "test"})
    assert type(load_model_dir(path)) is AlbertPretrainer
    config = json.load(open(os.path.join(path, "config.json")))
    assert config["format_version"] == 2
    assert config["registered_name"] == "albert_keras>AlbertPretrainer"
    assert config["config"]["backbone"]["registered_name"] == "albert_keras>AlbertBackbone"
    x = random_inputs(num_real=[10, 5, 2])
    x_mlm = dict(x, mask_positions=np.array([[1, 2]] * 3, "int32"))

    restored = AlbertPretrainer.from_preset(path)
    assert_all_close(pretrainer.predict(x_mlm, verbose=0), restored.predict(x_mlm, verbose=0), atol=1e-6)

    backbone = AlbertBackbone.from_preset(path)
    np.testing.assert_allclose(backbone(x)["pooled_output"], pretrainer.backbone(x)["pooled_output"])

    classifier = AlbertClassifier.from_preset(path, num_classes=4)
    np.testing.assert_allclose(
        classifier.backbone(x)["sequence_output"], pretrainer.backbone(x)["sequence_output"], atol=1e-6
    )
    assert classifier.output_shape == (None, 4)


def test_load_with_dtype_override(tmp_path):
    backbone = tiny_backbone()
    path = str(tmp_path / "b")
    save_model_dir(backbone, path)
    mixed = load_model_dir(path, dtype="mixed_bfloat16")
    assert mixed.token_embedding.compute_dtype == "bfloat16"
    np.testing.assert_allclose(mixed.pooler.kernel.numpy(), backbone.pooler.kernel.numpy())


def test_not_a_model_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="no config.json"):
        load_model_dir(str(tmp_path))


def test_config_json_is_the_keras_serialization(tmp_path):
    classifier = AlbertClassifier(tiny_backbone(), num_classes=3, class_labels=["a", "b", "c"])
    classifier.compile()
    path = str(tmp_path / "cls")
    save_model_dir(classifier, path)
    config = json.load(open(os.path.join(path, "config.json")))
    expected = keras.saving.serialize_keras_object(classifier)
    for key in ("class_name", "registered_name", "module"):
        assert config[key] == expected[key]
    assert config["config"]["class_labels"] == ["a", "b", "c"]
    # Optimizer and build state are not part of a model dir.
    assert "compile_config" not in config and "build_config" not in config["config"]["backbone"]


def test_version_1_config_json_still_loads(tmp_path):
    classifier = AlbertClassifier(tiny_backbone(), num_classes=3, dropout=0.2, class_labels=["a", "b", "c"])
    randomize_weights(classifier, seed=5)
    path = str(tmp_path / "v1")
    save_model_dir(classifier, path)
    # Rewrite config.json in the version-1 shape that older model dirs have.
    v2 = json.load(open(os.path.join(path, "config.json")))
    task_config = {k: v for k, v in v2["config"].items() if k not in ("backbone", "name", "trainable")}
    backbone_config = {k: v for k, v in v2["config"]["backbone"]["config"].items() if k not in ("name", "trainable")}
    v1 = {"format_version": 1, "task": "AlbertClassifier", "backbone": backbone_config, "task_config": task_config}
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(v1, f)

    config = read_config(path)
    assert config["format_version"] == 2 and config["registered_name"] == "albert_keras>AlbertClassifier"
    restored = load_model_dir(path)
    assert isinstance(restored, AlbertClassifier)
    assert (restored.num_classes, restored.dropout, restored.class_labels) == (3, 0.2, ["a", "b", "c"])
    x = random_inputs(num_real=[10, 5, 2])
    np.testing.assert_allclose(restored.predict(x, verbose=0), classifier.predict(x, verbose=0), atol=1e-6)
    backbone = AlbertBackbone.from_preset(path)
    np.testing.assert_allclose(backbone(x)["pooled_output"], classifier.backbone(x)["pooled_output"], atol=1e-6)


def test_version_1_backbone_dir_still_loads(tmp_path):
    backbone = tiny_backbone()
    randomize_weights(backbone, seed=2)
    path = str(tmp_path / "v1b")
    save_model_dir(backbone, path)
    saved = json.load(open(os.path.join(path, "config.json")))["config"]
    v1 = {"format_version": 1, "task": "AlbertBackbone", "backbone": {k: v for k, v in saved.items() if k != "name"},
          "task_config": {}}
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(v1, f)
    restored = load_model_dir(path)
    assert type(restored) is AlbertBackbone
    x = random_inputs()
    np.testing.assert_allclose(restored(x)["sequence_output"], backbone(x)["sequence_output"], atol=1e-6)


def test_unknown_registered_name_names_the_file(tmp_path):
    path = str(tmp_path / "m")
    save_model_dir(tiny_backbone(), path)
    file = os.path.join(path, "config.json")
    config = json.load(open(file))
    config["registered_name"] = "albert_keras>AlbertTranslator"
    with open(file, "w") as f:
        json.dump(config, f)
    with pytest.raises(ValueError, match=f"{re.escape(file)}: `registered_name` must name a registered Keras class. "
                                         "Received: registered_name='albert_keras>AlbertTranslator'"):
        load_model_dir(path)


def test_unknown_format_version_names_the_file(tmp_path):
    path = str(tmp_path / "m")
    save_model_dir(tiny_backbone(), path)
    file = os.path.join(path, "config.json")
    with open(file, "w") as f:
        json.dump({"format_version": 7}, f)
    message = f"{re.escape(file)}: `format_version` must be 1 or 2. Received: format_version=7"
    with pytest.raises(ValueError, match=message):
        read_config(path)


def test_only_albert_keras_models_can_be_saved(tmp_path):
    inputs = keras.Input((3,))
    plain = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match="`model` must be an AlbertBackbone or an albert_keras task model"):
        save_model_dir(plain, str(tmp_path / "plain"))
    assert not os.path.exists(tmp_path / "plain")


def test_backbone_of_a_task_dir_loads_with_only_models_imported(tmp_path):
    """`AlbertBackbone.from_preset(task_dir)` in a process that never imported `albert_keras.tasks`."""
    import subprocess
    import sys

    classifier = AlbertClassifier(tiny_backbone(), num_classes=3)
    path = str(tmp_path / "classifier")
    save_model_dir(classifier, path)
    code = (
        "import sys\n"
        "from albert_keras.models.backbone import AlbertBackbone\n"
        "assert 'albert_keras.tasks' not in sys.modules\n"
        f"backbone = AlbertBackbone.from_preset({path!r})\n"
        "print(type(backbone).__name__, backbone.count_params())\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["AlbertBackbone", str(classifier.backbone.count_params())]
