"""`albert pipeline compile --runner kubeflow_v2`: the KFP v2 JSON holds every component and its parameters."""

import json
import os

import pytest
import yaml

from pipeline.config import load_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PRETRAINING_COMPONENTS = {
    "TextExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "AnomaliesGate",
    "VocabularyGen", "PretrainingExamplesGen", "Trainer", "MlmEvaluator", "Pusher",
}
FINETUNING_COMPONENTS = {
    "TextExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "AnomaliesGate",
    "base_model_importer", "Trainer", "Evaluator", "Pusher",
    # KFP v2 compiles the LatestBlessedModelStrategy resolver into two resolver tasks.
    "latest_blessed_model_resolver-model-blessing-resolver", "latest_blessed_model_resolver-model-resolver",
}


def _parameters(spec, task):
    """The constant parameters of one task of a compiled pipeline, as Python values."""
    executor = spec["pipelineSpec"]["root"]["dag"]["tasks"][task]
    params = executor.get("inputs", {}).get("parameters", {})
    out = {}
    for name, value in params.items():
        constant = value.get("runtimeValue", {}).get("constant", value.get("runtimeValue", {}).get("constantValue"))
        if isinstance(constant, dict):
            constant = next(iter(constant.values()))
        out[name] = constant
    return out


@pytest.fixture(scope="module")
def compile_pipeline():
    from pipeline.kubeflow_v2_runner import compile_pipeline

    return compile_pipeline


def test_vertex_pretraining_json_has_every_component_and_parameter(tmp_path, compile_pipeline):
    config = load_config(os.path.join(REPO, "configs/pipeline/pretrain_base_vertex.yaml"))
    output = compile_pipeline(config, str(tmp_path / "pretrain.json"))
    spec = json.loads(open(output).read())
    assert set(spec["pipelineSpec"]["root"]["dag"]["tasks"]) == PRETRAINING_COMPONENTS
    assert spec["pipelineSpec"]["pipelineInfo"]["name"] == "albert-pretrain-base"
    assert spec["runtimeConfig"]["gcsOutputDirectory"] == "gs://YOUR_BUCKET/albert/pipeline_root"
    examples = _parameters(spec, "PretrainingExamplesGen")
    assert examples["masking"] == "static"
    assert int(examples["sequence_length"]) == 512 and int(examples["max_predictions"]) == 20
    assert int(examples["dupe_factor"]) == 10 and int(examples["max_ngram"]) == 3
    assert int(_parameters(spec, "VocabularyGen")["vocab_size"]) == 30000
    gen = _parameters(spec, "TextExampleGen")
    assert json.loads(gen["input_files"]) == [
        "gs://YOUR_BUCKET/corpus/bookcorpus.txt", "gs://YOUR_BUCKET/corpus/wikipedia.txt"]
    assert gen["input_format"] == "text"
    trainer = _parameters(spec, "Trainer")
    assert trainer["run_fn"] == "pipeline.trainer.pretrain_module.run_fn"
    assert json.loads(trainer["train_args"])["num_steps"] == 125000
    custom = json.loads(trainer["custom_config"])
    assert custom["strategy"] == "tpu" and custom["tpu"] == "local"
    assert custom["albert"]["optimizer"]["learning_rate"] == 0.00176
    assert custom["albert"]["training"]["global_batch_size"] == 4096
    assert float(_parameters(spec, "MlmEvaluator")["min_mlm_accuracy"]) == 0.3
    push = json.loads(_parameters(spec, "Pusher")["push_destination"])
    assert push["filesystem"]["base_directory"] == "gs://YOUR_BUCKET/albert/serving/albert_base"
    schema = _parameters(spec, "ImportSchemaGen")
    assert schema["schema_file"] == "gs://YOUR_BUCKET/albert/schema/pretraining.pbtxt"
    executors = spec["pipelineSpec"]["deploymentSpec"]["executors"]
    images = {e["container"]["image"] for e in executors.values() if "container" in e}
    assert images == {"gcr.io/YOUR_PROJECT/albert-keras:latest"}
    beam_args = json.dumps(executors)
    assert "--runner=DataflowRunner" in beam_args


def test_finetuning_json_has_evaluator_thresholds_and_resolver(tmp_path, compile_pipeline):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    (model_dir / "spiece.model").write_bytes(b"x")
    data = yaml.safe_load(open(os.path.join(REPO, "configs/pipeline/finetune_local.yaml")))
    data["finetuning"]["base_model_dir"] = str(model_dir)
    data["pipeline"]["root"] = str(tmp_path / "root")
    path = tmp_path / "finetune.yaml"
    path.write_text(yaml.safe_dump(data))
    output = compile_pipeline(load_config(str(path)), str(tmp_path / "finetune.json"))
    spec = json.loads(open(output).read())
    assert set(spec["pipelineSpec"]["root"]["dag"]["tasks"]) == FINETUNING_COMPONENTS
    eval_config = json.loads(_parameters(spec, "Evaluator")["eval_config"])
    (model_spec,) = eval_config["model_specs"]
    assert model_spec["signature_name"] == "serving_default" and model_spec["label_key"] == "label"
    metrics = {m["class_name"]: m for m in eval_config["metrics_specs"][0]["metrics"]}
    threshold = metrics["SparseCategoricalAccuracy"]["threshold"]
    assert threshold["value_threshold"]["lower_bound"] == 0.4
    assert threshold["change_threshold"]["absolute"] == -0.05
    trainer = _parameters(spec, "Trainer")
    custom = json.loads(trainer["custom_config"])
    assert custom["labels"] == ["computers", "food", "politics", "science"]
    assert _parameters(spec, "TextExampleGen")["label_source"] == "file"
    evaluator = spec["pipelineSpec"]["root"]["dag"]["tasks"]["Evaluator"]
    baseline = evaluator["inputs"]["artifacts"]["baseline_model"]["taskOutputArtifact"]
    assert baseline["producerTask"] == "latest_blessed_model_resolver-model-resolver"


# Values no shipped config holds: the compiled spec can only have them from this config.
SENTINEL_PIPELINE_IMAGE = "registry.sentinel/pipe-img:s1"
SENTINEL_TRAINING_IMAGE = "registry.sentinel/train-img:s2"
SENTINEL_DATAFLOW = [
    "--runner=DataflowRunner", "--project=sentinel-project", "--region=sentinel-region-2",
    "--temp_location=gs://sentinel-bucket/tmp", f"--sdk_container_image={SENTINEL_PIPELINE_IMAGE}",
    "--sdk_location=container", "--max_num_workers=7",
]


def test_vertex_trainer_spec_has_the_worker_pools_image_and_dataflow_args(tmp_path, compile_pipeline):
    data = {
        "pipeline": {"name": "sentinel-pipeline", "kind": "pretraining", "root": "gs://sentinel-bucket/root",
                     "serving_dir": "gs://sentinel-bucket/serving", "image": SENTINEL_PIPELINE_IMAGE},
        "ingest": {"inputs": ["gs://sentinel-bucket/corpus.txt"], "format": "text"},
        "schema": {"file": os.path.join(REPO, "configs/pipeline/schema/pretraining.pbtxt")},
        "trainer": {
            "train_steps": 17, "strategy": "multi_worker", "runner": "vertex",
            "vertex": {"project": "sentinel-project", "region": "sentinel-region-1", "image": SENTINEL_TRAINING_IMAGE,
                       "machine_type": "sentinel-machine-16", "accelerator_type": "NVIDIA_H100_80GB",
                       "accelerator_count": 3, "replica_count": 5, "service_account": "sentinel@sa.test"},
            "albert": {"training": {"global_batch_size": 45}},
        },
        "beam": {"args": SENTINEL_DATAFLOW},
    }
    path = tmp_path / "vertex.yaml"
    path.write_text(yaml.safe_dump(data))
    spec = json.loads(open(compile_pipeline(load_config(str(path)), str(tmp_path / "vertex.json"))).read())

    executors = spec["pipelineSpec"]["deploymentSpec"]["executors"]
    assert {e["container"]["image"] for e in executors.values()} == {SENTINEL_PIPELINE_IMAGE}
    trainer_args = executors["Trainer_executor"]["container"]["args"]
    executor_class = trainer_args[trainer_args.index("--executor_class_path") + 1]
    assert executor_class == "tfx.extensions.google_cloud_ai_platform.trainer.executor.GenericExecutor"
    for name in ("Trainer_executor", "PretrainingExamplesGen_executor", "StatisticsGen_executor"):
        args = executors[name]["container"]["args"]
        assert args[-len(SENTINEL_DATAFLOW):] == SENTINEL_DATAFLOW  # every Beam component gets the Dataflow args

    custom = json.loads(_parameters(spec, "Trainer")["custom_config"])
    assert custom["ai_platform_enable_vertex"] is True
    assert custom["ai_platform_vertex_region"] == "sentinel-region-1"
    assert custom["strategy"] == "multi_worker"
    job = custom["ai_platform_training_args"]
    assert job["project"] == "sentinel-project"
    assert job["job_spec"]["service_account"] == "sentinel@sa.test"
    machine = {"machine_type": "sentinel-machine-16", "accelerator_type": "NVIDIA_H100_80GB", "accelerator_count": 3}
    assert job["job_spec"]["worker_pool_specs"] == [
        {"machine_spec": machine, "replica_count": 1, "container_spec": {"image_uri": SENTINEL_TRAINING_IMAGE}},
        {"machine_spec": machine, "replica_count": 4, "container_spec": {"image_uri": SENTINEL_TRAINING_IMAGE}},
    ]
    assert json.loads(_parameters(spec, "Trainer")["train_args"])["num_steps"] == 17
