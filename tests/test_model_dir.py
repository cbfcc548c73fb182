import numpy as np
import pytest

from albert_keras import AlbertBackbone, AlbertClassifier, AlbertPretrainer, load_model_dir, save_model_dir
from tests.model_helpers import random_inputs, randomize_weights, tiny_backbone
from tests.test_case import assert_all_close


def test_pretrainer_dir_round_trip_and_backbone_reuse(tmp_path):
    pretrainer = AlbertPretrainer(tiny_backbone())
    randomize_weights(pretrainer, seed=3)
    path = str(tmp_path / "model")
    save_model_dir(pretrainer, path, metadata={"source": "test"})
    assert type(load_model_dir(path)) is AlbertPretrainer
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
