"""Pipeline configs and ingestion fail early and clearly on bad input (fast: no TFX import)."""

import os
import subprocess
import sys

import pytest
import yaml

from pipeline import config as pc

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(REPO, "configs/pipeline/schema/pretraining.pbtxt")


def _write_config(tmp_path, **sections):
    data = {
        "pipeline": {"name": "t", "kind": "pretraining", "root": str(tmp_path / "root"),
                     "serving_dir": str(tmp_path / "serving")},
        "ingest": {"inputs": [os.path.join(REPO, "data/fortunes/food.txt")]},
        "schema": {"file": SCHEMA},
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_bundled_configs_load():
    for name in ("pretrain_local.yaml", "pretrain_base_vertex.yaml"):
        config = pc.load_config(os.path.join(REPO, "configs/pipeline", name))
        assert config["pipeline"]["kind"] == "pretraining"
        assert config["examples"]["masking"] == "static"
    local = pc.load_config(os.path.join(REPO, "configs/pipeline/pretrain_local.yaml"))
    files = local["ingest"]["input_files"]
    assert os.path.join(REPO, "data/fortunes/food.txt") in files
    assert os.path.join(REPO, "data/zh/chinese.txt") in files
    assert local["beam"]["args"] == list(pc.DEFAULT_BEAM_ARGS)
    vertex = pc.load_config(os.path.join(REPO, "configs/pipeline/pretrain_base_vertex.yaml"))
    assert vertex["examples"]["sequence_length"] == 512 and vertex["vocabulary"]["vocab_size"] == 30000
    assert vertex["beam"]["args"][0] == "--runner=DataflowRunner"


def test_empty_input_dir_fails_early(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    path = _write_config(tmp_path, ingest={"inputs": [str(empty)]})
    with pytest.raises(pc.PipelineConfigError, match="input directory .* is empty"):
        pc.load_config(path)


def test_missing_file_fails_early(tmp_path):
    path = _write_config(tmp_path, ingest={"inputs": [str(tmp_path / "nope.txt")]})
    with pytest.raises(pc.PipelineConfigError, match="input file not found: .*nope.txt"):
        pc.load_config(path)


def test_empty_file_and_no_inputs_fail_early(tmp_path):
    (tmp_path / "blank.txt").write_text("")
    with pytest.raises(pc.PipelineConfigError, match="is empty"):
        pc.load_config(_write_config(tmp_path, ingest={"inputs": [str(tmp_path / "blank.txt")]}))
    with pytest.raises(pc.PipelineConfigError, match="ingest.inputs is empty"):
        pc.load_config(_write_config(tmp_path, ingest={"inputs": []}))
    with pytest.raises(pc.PipelineConfigError, match="matches no files"):
        pc.load_config(_write_config(tmp_path, ingest={"inputs": [str(tmp_path / "*.csv")]}))


def test_bad_keys_and_values_are_named(tmp_path):
    with pytest.raises(pc.PipelineConfigError, match="unknown key examples.dupe"):
        pc.load_config(_write_config(tmp_path, examples={"dupe": 2}))
    with pytest.raises(pc.PipelineConfigError, match="examples.dupe_factor must be a int"):
        pc.load_config(_write_config(tmp_path, examples={"dupe_factor": "x"}))
    with pytest.raises(pc.PipelineConfigError, match="examples.masking"):
        pc.load_config(_write_config(tmp_path, examples={"masking": "random"}))
    assert pc.load_config(_write_config(tmp_path, examples={"masking": "dynamic"}))["examples"]["masking"] == "dynamic"
    with pytest.raises(pc.PipelineConfigError, match="trainer.albert.training.train_steps is set by the pipeline"):
        pc.load_config(_write_config(tmp_path, trainer={"albert": {"training": {"train_steps": 3}}}))
    with pytest.raises(pc.PipelineConfigError, match="schema.file not found"):
        pc.load_config(_write_config(tmp_path, schema={"file": str(tmp_path / "none.pbtxt")}))


def test_finetuning_needs_a_model_dir_and_labels(tmp_path):
    with pytest.raises(pc.PipelineConfigError, match="finetuning.base_model_dir is required"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"}))
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    with pytest.raises(pc.PipelineConfigError, match="is not a model dir"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"},
                                     finetuning={"base_model_dir": str(model_dir), "labels": ["a"]}))
    (model_dir / "config.json").write_text("{}")
    with pytest.raises(pc.PipelineConfigError, match="holds no spiece.model"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"},
                                     finetuning={"base_model_dir": str(model_dir), "labels": ["a"]}))
    (model_dir / "spiece.model").write_bytes(b"x")
    with pytest.raises(pc.PipelineConfigError, match="finetuning.labels must list"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"},
                                     finetuning={"base_model_dir": str(model_dir)}))


def test_cli_reports_a_bad_input_and_exits_2(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    path = _write_config(tmp_path, ingest={"inputs": [str(empty)]})
    albert = os.path.join(os.path.dirname(sys.executable), "albert")
    done = subprocess.run([albert, "pipeline", "run", path], capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "is empty (no files to ingest)" in done.stderr
    assert not (tmp_path / "root").exists()


def _teacher_dir(path, spm_vocab_dir, task="AlbertPretrainer"):
    """A fake model dir: config.json naming `task` and the vocabulary's spiece.model."""
    import json
    import shutil

    os.makedirs(path)
    (path / "config.json").write_text(json.dumps({"format_version": 1, "task": task}))
    shutil.copy(os.path.join(spm_vocab_dir, "spiece.model"), path / "spiece.model")
    return str(path)


def test_distill_from_imports_the_teachers_vocabulary(tmp_path, spm_vocab_dir):
    teacher = _teacher_dir(tmp_path / "teacher", spm_vocab_dir)
    config = pc.load_config(_write_config(
        tmp_path, trainer={"distill_from": teacher, "albert": {"distill": {"temperature": 2.0}}}))
    assert config["trainer"]["distill_from"] == teacher
    assert config["vocabulary"]["import_dir"] == teacher
    # The same vocabulary given explicitly is fine.
    same = pc.load_config(_write_config(tmp_path, trainer={"distill_from": teacher},
                                        vocabulary={"import_dir": str(spm_vocab_dir)}))
    assert same["vocabulary"]["import_dir"] == str(spm_vocab_dir)


def test_distill_from_errors_are_named(tmp_path, spm_vocab_dir):
    teacher = _teacher_dir(tmp_path / "teacher", spm_vocab_dir)
    with pytest.raises(pc.PipelineConfigError, match="not a pretrainer model dir \\(no config.json\\)"):
        pc.load_config(_write_config(tmp_path, trainer={"distill_from": str(tmp_path)}))
    classifier = _teacher_dir(tmp_path / "classifier", spm_vocab_dir, task="AlbertClassifier")
    with pytest.raises(pc.PipelineConfigError, match="holds a AlbertClassifier"):
        pc.load_config(_write_config(tmp_path, trainer={"distill_from": classifier}))
    other_vocab = tmp_path / "other_vocab"
    other_vocab.mkdir()
    (other_vocab / "spiece.model").write_bytes(b"not the same model")
    with pytest.raises(pc.PipelineConfigError, match="differs from the teacher's vocabulary"):
        pc.load_config(_write_config(tmp_path, trainer={"distill_from": teacher},
                                     vocabulary={"import_dir": str(other_vocab)}))
    with pytest.raises(pc.PipelineConfigError, match="distill.teacher is set by the pipeline"):
        pc.load_config(_write_config(tmp_path, trainer={"distill_from": teacher,
                                                        "albert": {"distill": {"teacher": teacher}}}))
    with pytest.raises(pc.PipelineConfigError, match="trainer.albert.distill needs trainer.distill_from"):
        pc.load_config(_write_config(tmp_path, trainer={"albert": {"distill": {"temperature": 2.0}}}))


def test_distill_from_reaches_the_trainer(tmp_path, spm_vocab_dir):
    from pipeline.pipeline import create_pipeline

    teacher = _teacher_dir(tmp_path / "teacher", spm_vocab_dir)
    config = pc.load_config(_write_config(tmp_path, trainer={"distill_from": teacher}))
    pipe = create_pipeline(config)
    ids = {c.id for c in pipe.components}
    assert "vocabulary_importer" in ids and "VocabularyGen" not in ids
    (trainer,) = [c for c in pipe.components if c.id == "Trainer"]
    import json

    custom = json.loads(trainer.exec_properties["custom_config"])
    assert custom["distill_from"] == teacher
