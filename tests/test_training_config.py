"""Config loading: YAML, --set overrides, and start-up errors that name the key."""

import os

import pytest
import yaml

from albert_keras.cli import main
from albert_keras.config import (
    ConfigError,
    FinetuneConfig,
    PretrainConfig,
    apply_overrides,
    from_dict,
    load,
    to_yaml,
)
from albert_keras.training.strategy import per_replica_batch_size
from tests.training_fixtures import FORTUNES, REPO, tiny_pretrain_config


def _write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return str(path)


def test_tiny_cpu_config_loads_with_overrides():
    config = load(
        PretrainConfig,
        os.path.join(REPO, "configs/pretrain/tiny_cpu.yaml"),
        ["training.train_steps=300", "optimizer.learning_rate=1e-3", "data.dynamic_masking=false"],
    )
    assert config.training.train_steps == 300
    assert config.optimizer.learning_rate == pytest.approx(1e-3)
    assert config.data.dynamic_masking is False
    assert config.data.train_files == FORTUNES or len(config.data.train_files) == 4


@pytest.mark.parametrize("name", ["base_gpu", "base_tpu"])
def test_paper_configs_hold_the_paper_settings(name):
    with open(os.path.join(REPO, f"configs/pretrain/{name}.yaml")) as f:
        config = from_dict(PretrainConfig, yaml.safe_load(f))  # keys and types only: the data is not here
    assert config.training.global_batch_size == 4096
    assert config.optimizer.name == "lamb"
    assert config.optimizer.learning_rate == pytest.approx(0.00176)
    assert config.optimizer.warmup_steps == 3125
    assert config.training.train_steps == 125000
    assert config.data.sequence_length == 512
    assert config.data.max_predictions == 20
    with pytest.raises(ConfigError, match="data.train_files"):
        config.validate()


def test_finetune_configs_have_only_known_keys():
    folder = os.path.join(REPO, "configs/finetune")
    names = sorted(os.listdir(folder))
    assert {"classification.yaml", "regression.yaml", "token_classification.yaml", "squad.yaml",
            "multiple_choice.yaml"} <= set(names)
    for name in names:
        with open(os.path.join(folder, name)) as f:
            config = from_dict(FinetuneConfig, yaml.safe_load(f))
        assert config.task.name in name or name == "fortunes.yaml"


def test_unknown_key_names_the_key_and_its_file(tmp_path):
    path = _write(tmp_path, "training:\n  global_batch_sise: 8\n")
    with pytest.raises(ConfigError, match=r"Unknown config key `training\.global_batch_sise`.*\(in .*c\.yaml\)"):
        load(PretrainConfig, path)


def test_unknown_section_and_override_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match="`optimiser`"):
        from_dict(PretrainConfig, {"optimiser": {}})
    config = from_dict(PretrainConfig, tiny_pretrain_config(tmp_path, None))
    with pytest.raises(ConfigError, match=r"`optimizer\.learning_rat`.*\(in --set optimizer\.learning_rat=0\.1\)"):
        apply_overrides(config, ["optimizer.learning_rat=0.1"])
    with pytest.raises(ConfigError, match=r"`x`"):
        apply_overrides(config, ["x.y.z=0.5"])


def test_wrong_type_names_the_key():
    with pytest.raises(ConfigError, match=r"`training\.train_steps` must be an int\. Received: 'many'"):
        from_dict(PretrainConfig, {"training": {"train_steps": "many"}})


def test_missing_data_path_names_it(tmp_path):
    data = tiny_pretrain_config(tmp_path, None)
    data["data"]["train_files"] = [str(tmp_path / "nope.txt")]
    with pytest.raises(ConfigError, match=r"data\.train_files: no such file: .*nope\.txt"):
        from_dict(PretrainConfig, data).validate()
    with pytest.raises(ConfigError, match=r"data\.train_file: no such file"):
        from_dict(FinetuneConfig, {"data": {"train_file": str(tmp_path / "x.csv"), "spm": str(tmp_path)}}).validate()


def test_bad_values_name_the_key(tmp_path):
    data = tiny_pretrain_config(tmp_path, None)
    data["distribution"]["strategy"] = "parallel"
    with pytest.raises(ConfigError, match=r"distribution\.strategy"):
        from_dict(PretrainConfig, data).validate()
    data = tiny_pretrain_config(tmp_path, None, checkpoint_every=3)
    with pytest.raises(ConfigError, match=r"training\.checkpoint_every=3"):
        from_dict(PretrainConfig, data).validate()
    data = tiny_pretrain_config(tmp_path, None, global_batch_size=10, gradient_accumulation_steps=4)
    with pytest.raises(ConfigError, match=r"training\.global_batch_size=10"):
        from_dict(PretrainConfig, data).validate()


def test_batch_must_split_over_replicas():
    assert per_replica_batch_size(32, 4, 2) == 4
    with pytest.raises(ConfigError, match=r"global_batch_size=6 is not divisible by the 4 replicas"):
        per_replica_batch_size(6, 4)


def test_set_parses_yaml_values():
    config = apply_overrides(
        PretrainConfig(), ["data.train_files=[a.txt, b.txt]", "training.jit_compile=true", "optimizer.power=0.5"]
    )
    assert config.data.train_files == ["a.txt", "b.txt"]
    assert config.training.jit_compile is True
    assert config.optimizer.power == pytest.approx(0.5)
    assert config.model == PretrainConfig().model  # untouched sections keep their values
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides(PretrainConfig(), ["training.train_steps"])
    with pytest.raises(ConfigError, match=r"`training\.train_steps` must be an int\. Received: 'x' \(in --set"):
        apply_overrides(PretrainConfig(), ["training.train_steps=x"])


def test_set_into_a_mapping_sets_one_entry():
    config = from_dict(PretrainConfig, {"model": {"overrides": {"num_layers": 2, "hidden_dim": 64}}})
    config = apply_overrides(config, ["model.overrides.num_layers=1", "model.overrides.num_heads=2"])
    assert config.model.overrides == {"num_layers": 1, "hidden_dim": 64, "num_heads": 2}
    config = apply_overrides(config, ["distill.layer_map.0=1", "distill.layer_map.1=3"])
    assert config.distill.layer_map == {"0": 1, "1": 3}  # dotted keys are strings; resolve_layer_map reads ints


def test_finetune_sections_keep_the_finetune_defaults():
    config = apply_overrides(FinetuneConfig(), ["optimizer.warmup_steps=7"])
    assert (config.optimizer.name, config.optimizer.learning_rate, config.optimizer.warmup_steps) == ("adamw", 3e-5, 7)


@pytest.mark.parametrize("cls, folder", [(PretrainConfig, "pretrain"), (FinetuneConfig, "finetune")])
def test_every_config_file_round_trips_through_yaml(cls, folder):
    for name in sorted(os.listdir(os.path.join(REPO, "configs", folder))):
        with open(os.path.join(REPO, "configs", folder, name)) as f:
            config = from_dict(cls, yaml.safe_load(f))
        text = to_yaml(config)
        assert from_dict(cls, yaml.safe_load(text)) == config, name
        assert "overrides" in yaml.safe_load(text)["model"]  # every key is written, defaults included


def test_loaded_config_round_trips_and_print_config_shows_the_overrides(tmp_path, capsys):
    path = os.path.join(REPO, "configs/pretrain/tiny_cpu.yaml")
    config = load(PretrainConfig, path, ["training.train_steps=7"])
    written = _write(tmp_path, to_yaml(config))
    assert load(PretrainConfig, written) == config
    assert main(["pretrain", "--config", path, "--set", "training.train_steps=7", "--print-config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert from_dict(PretrainConfig, printed) == config
    assert main(["pretrain", "--config", path, "--set", "training.train_stepz=7", "--print-config"]) == 2
    assert "`training.train_stepz`" in capsys.readouterr().err
