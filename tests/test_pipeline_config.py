"""Pipeline configs and ingestion fail early and clearly on bad input (fast: no TFX import)."""

import os
import subprocess
import sys

import pytest
import yaml

from albert_keras.config import ConfigError
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
        assert config.pipeline.kind == "pretraining"
        assert config.examples.masking == "static"
    local = pc.load_config(os.path.join(REPO, "configs/pipeline/pretrain_local.yaml"))
    files = local.ingest.input_files
    assert os.path.join(REPO, "data/fortunes/food.txt") in files
    assert os.path.join(REPO, "data/zh/chinese.txt") in files
    assert local.beam.args == list(pc.DEFAULT_BEAM_ARGS)
    vertex = pc.load_config(os.path.join(REPO, "configs/pipeline/pretrain_base_vertex.yaml"))
    assert vertex.examples.sequence_length == 512 and vertex.vocabulary.vocab_size == 30000
    assert vertex.beam.args[0] == "--runner=DataflowRunner"


def test_empty_input_dir_fails_early(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    path = _write_config(tmp_path, ingest={"inputs": [str(empty)]})
    with pytest.raises(ConfigError, match="input directory .* is empty"):
        pc.load_config(path)


def test_missing_file_fails_early(tmp_path):
    path = _write_config(tmp_path, ingest={"inputs": [str(tmp_path / "nope.txt")]})
    with pytest.raises(ConfigError, match="input file not found: .*nope.txt"):
        pc.load_config(path)


def test_empty_file_and_no_inputs_fail_early(tmp_path):
    (tmp_path / "blank.txt").write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        pc.load_config(_write_config(tmp_path, ingest={"inputs": [str(tmp_path / "blank.txt")]}))
    with pytest.raises(ConfigError, match=r"`ingest\.inputs` is empty"):
        pc.load_config(_write_config(tmp_path, ingest={"inputs": []}))
    with pytest.raises(ConfigError, match="matches no files"):
        pc.load_config(_write_config(tmp_path, ingest={"inputs": [str(tmp_path / "*.csv")]}))


def test_bad_keys_and_values_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"Unknown config key `examples\.dupe`.* \(in .*config\.yaml\)"):
        pc.load_config(_write_config(tmp_path, examples={"dupe": 2}))
    with pytest.raises(ConfigError, match=r"`examples\.dupe_factor` must be an int\. Received: 'x' \(in .*\.yaml\)"):
        pc.load_config(_write_config(tmp_path, examples={"dupe_factor": "x"}))
    with pytest.raises(ConfigError, match="examples.masking"):
        pc.load_config(_write_config(tmp_path, examples={"masking": "random"}))
    assert pc.load_config(_write_config(tmp_path, examples={"masking": "dynamic"})).examples.masking == "dynamic"
    with pytest.raises(ConfigError, match=r"`examples\.texts_per_document` must be >= 1\. Received: 0"):
        pc.load_config(_write_config(tmp_path, examples={"texts_per_document": 0}))
    with pytest.raises(ConfigError, match=r"`trainer\.albert\.training\.train_steps` is set by the pipeline"):
        pc.load_config(_write_config(tmp_path, trainer={"albert": {"training": {"train_steps": 3}}}))
    with pytest.raises(ConfigError, match=r"`schema\.file` not found"):
        pc.load_config(_write_config(tmp_path, schema={"file": str(tmp_path / "none.pbtxt")}))


def test_finetuning_needs_a_model_dir_and_labels(tmp_path):
    with pytest.raises(ConfigError, match=r"`finetuning\.base_model_dir` is required"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"}))
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    with pytest.raises(ConfigError, match="must be a model dir .*, a SavedModel export or a serving dir"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"},
                                     finetuning={"base_model_dir": str(model_dir), "labels": ["a"]}))
    (model_dir / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"holds no vocabulary \(spiece.model or vocab.txt\)"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"},
                                     finetuning={"base_model_dir": str(model_dir), "labels": ["a"]}))
    (model_dir / "spiece.model").write_bytes(b"x")
    with pytest.raises(ConfigError, match=r"`finetuning\.labels` must list"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"},
                                     finetuning={"base_model_dir": str(model_dir)}))


def test_finetuning_base_model_may_be_a_pushed_serving_dir(tmp_path):
    """A serving dir is pinned to its newest SavedModel version; an export needs its Keras model."""
    serving = tmp_path / "serving"
    for version in ("9", "10", "11"):
        (serving / version).mkdir(parents=True)
    for version in ("9", "10"):  # 11 is still being written (no saved_model.pb)
        (serving / version / "saved_model.pb").write_bytes(b"")
    (serving / "10" / "assets.extra").mkdir()
    (serving / "10" / "assets.extra" / "model.keras").write_bytes(b"")
    config = pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"},
                                          finetuning={"base_model_dir": str(serving), "labels": ["a"]}))
    assert config.finetuning.base_model_dir == str(serving / "10")
    with pytest.raises(ConfigError, match=r"SavedModel .*9.* has no assets.extra/model.keras"):
        pc.load_config(_write_config(tmp_path, pipeline={"kind": "finetuning"}, ingest={"label": "file"},
                                     finetuning={"base_model_dir": str(serving / "9"), "labels": ["a"]}))


def test_vocabulary_kind_and_a_wordpiece_import_dir(tmp_path):
    assert pc.load_config(_write_config(tmp_path)).vocabulary.kind == "sentencepiece"
    assert pc.load_config(_write_config(tmp_path, vocabulary={"kind": "wordpiece"})).vocabulary.kind == "wordpiece"
    with pytest.raises(ConfigError, match=r"vocabulary\.kind.*bpe"):
        pc.load_config(_write_config(tmp_path, vocabulary={"kind": "bpe"}))
    vocab_dir = tmp_path / "wp"
    vocab_dir.mkdir()
    with pytest.raises(ConfigError, match=r"holds no vocabulary \(spiece.model or vocab.txt\)"):
        pc.load_config(_write_config(tmp_path, vocabulary={"import_dir": str(vocab_dir)}))
    (vocab_dir / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nx\n")
    config = pc.load_config(_write_config(tmp_path, vocabulary={"import_dir": str(vocab_dir)}))
    assert config.vocabulary.import_dir == str(vocab_dir)


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
    assert config.trainer.distill_from == teacher
    assert config.vocabulary.import_dir == teacher
    # The same vocabulary given explicitly is fine.
    same = pc.load_config(_write_config(tmp_path, trainer={"distill_from": teacher},
                                        vocabulary={"import_dir": str(spm_vocab_dir)}))
    assert same.vocabulary.import_dir == str(spm_vocab_dir)


def test_distill_from_errors_are_named(tmp_path, spm_vocab_dir):
    teacher = _teacher_dir(tmp_path / "teacher", spm_vocab_dir)
    with pytest.raises(ConfigError, match="not a pretrainer model dir \\(no config.json\\)"):
        pc.load_config(_write_config(tmp_path, trainer={"distill_from": str(tmp_path)}))
    classifier = _teacher_dir(tmp_path / "classifier", spm_vocab_dir, task="AlbertClassifier")
    with pytest.raises(ConfigError, match="holds a AlbertClassifier"):
        pc.load_config(_write_config(tmp_path, trainer={"distill_from": classifier}))
    other_vocab = tmp_path / "other_vocab"
    other_vocab.mkdir()
    (other_vocab / "spiece.model").write_bytes(b"not the same model")
    with pytest.raises(ConfigError, match="differs from the teacher's vocabulary"):
        pc.load_config(_write_config(tmp_path, trainer={"distill_from": teacher},
                                     vocabulary={"import_dir": str(other_vocab)}))
    with pytest.raises(ConfigError, match=r"`trainer\.albert\.distill\.teacher` is set by the pipeline"):
        pc.load_config(_write_config(tmp_path, trainer={"distill_from": teacher,
                                                        "albert": {"distill": {"teacher": teacher}}}))
    with pytest.raises(ConfigError, match=r"`trainer\.albert\.distill` needs `trainer\.distill_from`"):
        pc.load_config(_write_config(tmp_path, trainer={"albert": {"distill": {"temperature": 4.0}}}))


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


def _finetuning_config(tmp_path, **sections):
    model_dir = tmp_path / "model"
    model_dir.mkdir(exist_ok=True)
    (model_dir / "config.json").write_text("{}")
    (model_dir / "spiece.model").write_bytes(b"x")
    base = {"pipeline": {"kind": "finetuning"}, "ingest": {"label": "file"},
            "finetuning": {"base_model_dir": str(model_dir), "labels": ["food"]}}
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value}
    return _write_config(tmp_path, **base)


def test_trainer_albert_is_the_training_config_of_the_kind(tmp_path):
    from albert_keras.config import FinetuneConfig, PretrainConfig

    pre = pc.load_config(_write_config(tmp_path, trainer={"albert": {"optimizer": {"learning_rate": 0.01}}}))
    assert isinstance(pre, pc.PretrainingPipelineConfig) and isinstance(pre.trainer.albert, PretrainConfig)
    assert pre.trainer.albert.optimizer.learning_rate == 0.01 and pre.trainer.albert.optimizer.name == "lamb"
    ft = pc.load_config(_finetuning_config(tmp_path, trainer={"albert": {"task": {"dropout": 0.2}}}))
    assert isinstance(ft, pc.FinetuningPipelineConfig) and isinstance(ft.trainer.albert, FinetuneConfig)
    assert ft.trainer.albert.task.dropout == 0.2
    assert ft.trainer.albert.optimizer == FinetuneConfig().optimizer  # fine-tuning's AdamW defaults
    # Checked with the albert_keras rules, named by the full path: a pretraining run has no `task`.
    with pytest.raises(ConfigError, match=r"Unknown config key `trainer\.albert\.task`.*\(in .*config\.yaml\)"):
        pc.load_config(_write_config(tmp_path, trainer={"albert": {"task": {"dropout": 0.2}}}))
    with pytest.raises(ConfigError, match=r"`trainer\.albert\.training\.global_batch_size` must be an int"):
        pc.load_config(_write_config(tmp_path, trainer={"albert": {"training": {"global_batch_size": "x"}}}))
    with pytest.raises(ConfigError, match=r"trainer\.albert: `optimizer\.name` must be one of"):
        pc.load_config(_write_config(tmp_path, trainer={"albert": {"optimizer": {"name": "sgd"}}}))
    with pytest.raises(ConfigError, match=r"`trainer\.albert\.data` is set by the pipeline"):
        pc.load_config(_write_config(tmp_path, trainer={"albert": {"data": {"sequence_length": 16}}}))


def test_set_overrides_are_typed_and_unknown_keys_fail(tmp_path):
    path = _write_config(tmp_path)
    config = pc.load_config(path, ["trainer.train_steps=7", "examples.masking=dynamic",
                                   "trainer.albert.optimizer.learning_rate=1e-3", "ingest.inputs=[data/zh]"])
    assert config.trainer.train_steps == 7 and config.examples.masking == "dynamic"
    assert config.trainer.albert.optimizer.learning_rate == pytest.approx(1e-3)
    assert config.ingest.input_files and all("/data/zh/" in f for f in config.ingest.input_files)
    with pytest.raises(ConfigError, match=r"Unknown config key `trainer\.albert\.optimiser`.*\(in --set"):
        pc.load_config(path, ["trainer.albert.optimiser.learning_rate=1"])
    with pytest.raises(ConfigError, match=r"`trainer\.train_steps` must be an int\. Received: 'many' \(in --set"):
        pc.load_config(path, ["trainer.train_steps=many"])
    with pytest.raises(ConfigError, match=r"`trainer\.train_steps` must be >= 1\. Received: 0 \(in .*config\.yaml "
                                          r"with --set trainer\.train_steps=0\)"):
        pc.load_config(path, ["trainer.train_steps=0"])
    # --set pipeline.kind picks the fine-tuning config class.
    with pytest.raises(ConfigError, match=r"`finetuning\.base_model_dir` is required"):
        pc.load_config(path, ["pipeline.kind=finetuning", "ingest.label=file"])


def test_configs_round_trip_through_dump(tmp_path, spm_vocab_dir):
    teacher = _teacher_dir(tmp_path / "teacher", spm_vocab_dir)
    paths = [os.path.join(REPO, "configs/pipeline", n) for n in ("pretrain_local.yaml", "pretrain_base_vertex.yaml")]
    paths += [_finetuning_config(tmp_path, trainer={"albert": {"optimizer": {"learning_rate": 0.001}}}),
              _write_config(tmp_path / "teacher", trainer={"distill_from": teacher,
                                                           "albert": {"distill": {"temperature": 4.0}}})]
    for i, path in enumerate(paths):
        config = pc.load_config(path)
        dumped = tmp_path / f"dumped_{i}.yaml"
        dumped.write_text(pc.dump_config(config))
        again = pc.load_config(str(dumped))
        assert again == config and type(again) is type(config), path
        assert again.ingest.input_files == config.ingest.input_files
        assert "data" not in yaml.safe_load(dumped.read_text())["trainer"]["albert"]  # set by the pipeline


def test_cli_config_prints_the_resolved_yaml(tmp_path, capsys):
    from albert_keras.cli import main

    path = _write_config(tmp_path)
    assert main(["pipeline", "config", path, "--set", "trainer.train_steps=9"]) == 0
    printed = capsys.readouterr().out
    out = tmp_path / "printed.yaml"
    out.write_text(printed)
    assert pc.load_config(str(out)) == pc.load_config(path, ["trainer.train_steps=9"])
    assert yaml.safe_load(printed)["beam"]["args"] == list(pc.DEFAULT_BEAM_ARGS)  # defaults filled in
    assert main(["pipeline", "config", path, "--set", "trainer.train_stepz=9"]) == 2
    assert "Unknown config key `trainer.train_stepz`" in capsys.readouterr().err


def test_both_kinds_share_the_front_and_the_tail(tmp_path):
    from pipeline.pipeline import FRONT_IDS, TAIL_IDS, create_pipeline

    pre = create_pipeline(pc.load_config(_write_config(tmp_path)))
    ft = create_pipeline(pc.load_config(_finetuning_config(tmp_path)))
    nodes = {}
    for name, pipe in (("pre", pre), ("ft", ft)):
        by_id = {c.id: c for c in pipe.components}
        assert set(FRONT_IDS) | set(TAIL_IDS) <= set(by_id), name
        assert by_id["AnomaliesGate"] in by_id["Trainer"].upstream_nodes  # no training on rejected data
        nodes[name] = set(by_id)
    shared = nodes["pre"] & nodes["ft"]
    assert shared == set(FRONT_IDS) | set(TAIL_IDS)
    assert nodes["pre"] - shared == {"VocabularyGen", "PretrainingExamplesGen", "MlmEvaluator"}
    assert nodes["ft"] - shared == {"base_model_importer", "latest_blessed_model_resolver", "Evaluator"}
    for pipe, evaluator in ((pre, "MlmEvaluator"), (ft, "Evaluator")):
        pusher = {c.id: c for c in pipe.components}["Pusher"]
        assert {n.id for n in pusher.upstream_nodes} == {"Trainer", evaluator}


# === trainer.runner: vertex and Dataflow (docs/production.md) ===

VERTEX_GPU = {"runner": "vertex", "strategy": "mirrored",
              "vertex": {"project": "p-test", "machine_type": "m-test", "accelerator_type": "NVIDIA_TESLA_V100",
                         "accelerator_count": 4},
              "albert": {"training": {"global_batch_size": 64}}}


def _vertex_config(tmp_path, trainer=None, **sections):
    trainer_section = {**VERTEX_GPU, **(trainer or {})}
    trainer_section["vertex"] = {**VERTEX_GPU["vertex"], **((trainer or {}).get("vertex") or {})}
    pipeline = {"root": "gs://b-test/root", **sections.pop("pipeline", {})}
    return _write_config(tmp_path, pipeline=pipeline, trainer=trainer_section, **sections)


def test_vertex_runner_fills_the_image_and_builds_worker_pools(tmp_path):
    from pipeline.vertex import training_args

    config = pc.load_config(_vertex_config(tmp_path, pipeline={"image": "img-test:1"}))
    assert config.trainer.vertex.image == "img-test:1"  # pipeline.image, unless trainer.vertex.image is set
    args = training_args(config.trainer.vertex)
    assert args == {"project": "p-test", "job_spec": {"worker_pool_specs": [{
        "machine_spec": {"machine_type": "m-test", "accelerator_type": "NVIDIA_TESLA_V100", "accelerator_count": 4},
        "replica_count": 1, "container_spec": {"image_uri": "img-test:1"}}]}}

    tpu = pc.load_config(_vertex_config(tmp_path, trainer={
        "strategy": "tpu", "tpu": "local",
        "vertex": {"accelerator_type": "TPU_V3", "accelerator_count": 8, "tpu_topology": "t-test", "image": "tpu:2",
                   "service_account": "sa-test"}}))
    (pool,) = training_args(tpu.trainer.vertex)["job_spec"]["worker_pool_specs"]
    assert pool["machine_spec"]["tpu_topology"] == "t-test" and pool["container_spec"]["image_uri"] == "tpu:2"
    assert training_args(tpu.trainer.vertex)["job_spec"]["service_account"] == "sa-test"

    cpu = pc.load_config(_vertex_config(tmp_path, trainer={
        "strategy": "multi_worker", "vertex": {"accelerator_type": None, "accelerator_count": 0, "replica_count": 4}}))
    chief, workers = training_args(cpu.trainer.vertex)["job_spec"]["worker_pool_specs"]
    assert chief["replica_count"] == 1 and workers["replica_count"] == 3
    assert chief["machine_spec"] == workers["machine_spec"] == {"machine_type": "m-test"}


@pytest.mark.parametrize("trainer, sections, message", [
    ({"runner": "cloud"}, {}, r"`trainer.runner` must be one of \['local', 'vertex'\]"),
    ({"vertex": {"project": None}}, {}, "`trainer.vertex.project` is required"),
    ({}, {"pipeline": {"root": "/tmp/root"}}, "`pipeline.root` must be a gs:// path with `trainer.runner: vertex`"),
    ({"vertex": {"accelerator_type": "NVIDIA_K9"}}, {}, "`trainer.vertex.accelerator_type` must be one of"),
    ({"vertex": {"accelerator_type": None}}, {}, "`trainer.vertex.accelerator_count` is 4 but .* is unset"),
    ({"vertex": {"accelerator_count": 0}}, {}, "`trainer.vertex.accelerator_count` must be >= 1"),
    ({"vertex": {"replica_count": 0}}, {}, "`trainer.vertex.replica_count` must be >= 1"),
    ({"vertex": {"replica_count": 2}}, {}, "`trainer.strategy` must be multi_worker .*replica_count` 2"),
    ({"strategy": "default"}, {}, "`trainer.strategy` must be mirrored .* the 4 GPUs"),
    ({"strategy": "tpu", "tpu": "local"}, {}, "`trainer.strategy` is tpu but `trainer.vertex.accelerator_type`"),
    ({"vertex": {"tpu_topology": "2x2x1"}}, {}, "`trainer.vertex.tpu_topology` is for TPU accelerators"),
    ({"vertex": {"accelerator_type": "TPU_V4_POD"}}, {}, "`trainer.strategy` must be tpu with `trainer.tpu: local`"),
    ({"strategy": "tpu", "tpu": "local", "vertex": {"accelerator_type": "TPU_V4_POD", "replica_count": 2}}, {},
     "`trainer.vertex.replica_count` must be 1 for a TPU VM"),
    ({"albert": {"training": {"global_batch_size": 62}}}, {},
     r"`trainer.albert.training.global_batch_size` \(62\) must be divisible by the 4 replicas"),
])
def test_vertex_runner_errors_name_the_field(tmp_path, trainer, sections, message):
    with pytest.raises(ConfigError, match=message):
        pc.load_config(_vertex_config(tmp_path, trainer=trainer, **sections))


def test_vertex_section_needs_the_vertex_runner(tmp_path):
    with pytest.raises(ConfigError, match="`trainer.vertex` is set but `trainer.runner` is local"):
        pc.load_config(_write_config(tmp_path, trainer={"vertex": {"project": "p-test"}}))


DATAFLOW = ["--runner=DataflowRunner", "--project=p-test", "--region=r-test", "--temp_location=gs://b-test/tmp"]


@pytest.mark.parametrize("extra, message", [
    ([], "gives its workers no way to get tensorflow_text and albert_keras: add --sdk_container_image"),
    (["--requirements_file=req.txt"], "no way to get tensorflow_text and albert_keras"),
    (["--extra_package=dist/a.whl"], "--extra_package without --requirements_file"),
])
def test_dataflow_args_must_ship_the_package_to_the_workers(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=message):
        pc.load_config(_write_config(tmp_path, beam={"args": DATAFLOW + extra}))


def test_dataflow_args_that_ship_the_package_load(tmp_path):
    for extra in (["--sdk_container_image=img-test:3"], ["--setup_file=./setup.py"],
                  ["--extra_package=dist/a.whl", "--requirements_file=req.txt"]):
        config = pc.load_config(_write_config(tmp_path, beam={"args": DATAFLOW + extra}))
        assert config.beam.args == DATAFLOW + extra
    with pytest.raises(ConfigError, match="`beam.args` runs on Dataflow and must give --temp_location"):
        pc.load_config(_write_config(tmp_path, beam={"args": DATAFLOW[:3] + ["--sdk_container_image=i"]}))
    with pytest.raises(ConfigError, match="--temp_location must be a gs:// path"):
        pc.load_config(_write_config(tmp_path, beam={"args": DATAFLOW[:3] + ["--temp_location=/tmp",
                                                                           "--sdk_container_image=i"]}))


@pytest.mark.parametrize("name, accelerator, count, strategy", [
    ("pretrain_base_vertex.yaml", "TPU_V4_POD", 4, "tpu"),
    ("pretrain_base_vertex_gpu.yaml", "NVIDIA_A100_80GB", 8, "mirrored"),
])
def test_shipped_vertex_configs_train_with_the_papers_batch_and_learning_rate(name, accelerator, count, strategy):
    config = pc.load_config(os.path.join(REPO, "configs/pipeline", name))
    t = config.trainer
    assert t.runner == "vertex" and t.strategy == strategy
    assert (t.vertex.accelerator_type, t.vertex.accelerator_count, t.vertex.replica_count) == (accelerator, count, 1)
    assert t.albert.training.global_batch_size == 4096  # Lan et al. 2020, sec. 4.1
    assert t.albert.optimizer.name == "lamb" and t.albert.optimizer.learning_rate == 0.00176
    assert t.train_steps == 125000 and config.examples.sequence_length == 512
    flags = dict(arg.split("=", 1) for arg in config.beam.args)
    assert flags["--runner"] == "DataflowRunner"
    assert flags["--sdk_container_image"] == config.pipeline.image  # Beam workers run the pipeline image
    assert flags["--sdk_location"] == "container"
