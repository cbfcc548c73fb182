"""End to end: LocalDagRunner runs both pipelines on tiny data (slow: minutes in all).

Checks, from ML Metadata and the files: every component succeeded, the
pushed version dir holds a SavedModel whose signatures answer, a blessing
exists; an unchanged re-run hits the cache; a model that fails the
evaluator threshold is not pushed; anomalies stop the run before training.
The fine-tuning pipeline's blessed and gated runs are those of the demo
(test_demo.py), which starts from a pushed pretrained export.

The runs are module-scoped fixtures that several tests inspect: one
pretraining pipeline root holds four runs (static masking, unchanged,
unreachable threshold, then dynamic masking with `distill_from`, whose
ingestion and validation come from the cache), and the anomalies run
stops at the gate. Beam runs in memory: the multi-processing DirectRunner
is tested in test_pipeline_beam.py.
"""

import json
import os
import time
import types

import pytest
import tensorflow as tf
import yaml

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_BACKBONE = dict(num_layers=1, num_heads=2, embedding_dim=16, hidden_dim=32, intermediate_dim=64,
                     max_sequence_length=32)
IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]
TRAIN_STEPS = 4  # the assertions need a trained model dir and its metrics, not a good model

COMPLETE, CACHED = "COMPLETE", "CACHED"


def write_config(path, kind, root, serving_dir, **sections):
    """Writes a tiny pipeline config of `kind` and returns its path."""
    data = {
        "pipeline": {"name": f"test-{kind}", "kind": kind, "root": str(root), "serving_dir": str(serving_dir)},
        "trainer": {"train_steps": TRAIN_STEPS,
                    "albert": {"training": {"global_batch_size": 8, "steps_per_loop": TRAIN_STEPS, "verbose": 0}}},
        "beam": {"args": list(IN_MEMORY)},
    }
    if kind == "pretraining":
        data.update(
            ingest={"inputs": [os.path.join(REPO, "data/fortunes/food.txt"),
                               os.path.join(REPO, "data/zh/song100.txt")]},
            schema={"file": os.path.join(REPO, "configs/pipeline/schema/pretraining.pbtxt")},
            vocabulary={"vocab_size": 2000},
            examples={"sequence_length": 32, "max_predictions": 5, "dupe_factor": 1},
        )
        data["trainer"]["albert"]["model"] = {"init": "albert_tiny", "overrides": TINY_BACKBONE}
    else:
        data.update(
            ingest={"inputs": [os.path.join(REPO, "data/fortunes/food.txt"),
                               os.path.join(REPO, "data/fortunes/computers.txt")],
                    "label": "file", "eval_buckets": 2},
            schema={"file": os.path.join(REPO, "configs/pipeline/schema/fortunes_classification.pbtxt")},
            finetuning={"labels": ["computers", "food", "politics", "science"], "sequence_length": 32},
        )
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value}
    with open(path, "w") as f:
        yaml.safe_dump(data, f)
    return str(path)


def make_base_model_dir(path, vocab_dir):
    """A randomly initialized tiny `AlbertBackbone` saved as a model dir with the vocabulary."""
    from albert_keras.model_dir import save_model_dir
    from albert_keras.models.backbone import AlbertBackbone
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    vocab_size = SentencePieceEncoder(str(vocab_dir)).vocabulary_size()
    backbone = AlbertBackbone(vocabulary_size=vocab_size, **TINY_BACKBONE)
    save_model_dir(backbone, str(path), spm_path=os.path.join(str(vocab_dir), "spiece.model"),
                   tokenizer_options={"lowercase": True, "strip_accents": True})
    return str(path)


def _store(metadata_path):
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    return metadata_store.MetadataStore(config)


def node_states(metadata_path, after=0):
    """`{node_id: [execution state names, oldest first]}` from the pipeline's SQLite MLMD.

    Args:
        metadata_path: the SQLite file.
        after: only executions with an id above this (those of later runs);
            nodes without such executions are left out.
    """
    from ml_metadata.proto import metadata_store_pb2

    store = _store(metadata_path)
    states = {}
    for context in store.get_contexts_by_type("node"):
        node = context.name.split(".", 1)[1]
        executions = sorted((e for e in store.get_executions_by_context(context.id) if e.id > after),
                            key=lambda e: e.id)
        if executions:
            states[node] = [metadata_store_pb2.Execution.State.Name(e.last_known_state) for e in executions]
    return states


def last_execution_id(metadata_path):
    """The id of the newest execution in the MLMD (0 when there is none)."""
    if not os.path.isfile(metadata_path):
        return 0
    return max((e.id for e in _store(metadata_path).get_executions()), default=0)


def artifacts_of_type(metadata_path, type_name):
    """Artifacts of an MLMD type, oldest first."""
    return sorted(_store(metadata_path).get_artifacts_by_type(type_name), key=lambda a: a.id)


def versions(serving_dir):
    """The numeric version dirs under a serving base dir."""
    if not os.path.isdir(serving_dir):
        return []
    return sorted(d for d in os.listdir(serving_dir) if d.isdigit())


PRETRAINING_NODES = {
    "TextExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "AnomaliesGate",
    "VocabularyGen", "PretrainingExamplesGen", "Trainer", "MlmEvaluator", "Pusher",
}
FINETUNING_NODES = {
    "TextExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "AnomaliesGate",
    "base_model_importer", "Trainer", "latest_blessed_model_resolver", "Evaluator", "Pusher",
}
# Nodes whose inputs and properties the dynamic/distill run shares with the static one.
INGESTION_NODES = {"TextExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "AnomaliesGate"}


def _run(config_path, **overrides):
    """Loads the config (with `overrides` merged over it), runs it; returns (config, mlmd, seconds)."""
    from pipeline.config import load_config
    from pipeline.local_runner import metadata_path, run

    config = load_config(config_path, overrides=overrides or None)
    seconds = run(config)
    return config, metadata_path(config.pipeline.root), seconds


def _run_and_record(root, serving, config_path, **overrides):
    """Runs the config (pipeline root `root`) and records what that run added.

    Returns:
        A namespace: mlmd (path), seconds, states (`node_states` of this
        run's executions), blessings and versions (all so far).
    """
    from pipeline.local_runner import metadata_path

    before = last_execution_id(metadata_path(str(root)))
    _, mlmd, seconds = _run(config_path, **overrides)
    return types.SimpleNamespace(mlmd=mlmd, seconds=seconds, states=node_states(mlmd, after=before),
                                 blessings=_blessings(mlmd), versions=versions(serving))


def _blessings(mlmd):
    return [a.custom_properties["blessed"].int_value for a in artifacts_of_type(mlmd, "ModelBlessing")]


# --------------------------------------------------------------------------- pretraining


@pytest.fixture(scope="module")
def pretraining_root(tmp_path_factory):
    return tmp_path_factory.mktemp("pretraining")


@pytest.fixture(scope="module")
def pretraining_runs(pretraining_root):
    """Three runs of one config in one root: first, unchanged, unreachable MLM threshold."""
    serving = pretraining_root / "serving"
    root = pretraining_root / "root"
    path = write_config(pretraining_root / "pre.yaml", "pretraining", root, serving)
    first = _run_and_record(root, serving, path)
    cached = _run_and_record(root, serving, path)
    not_blessed = _run_and_record(root, serving, path, evaluator={"min_mlm_accuracy": 0.999})
    print(f"pretraining pipeline: first run {first.seconds:.1f} s, cached re-run {cached.seconds:.1f} s")
    return types.SimpleNamespace(serving=serving, first=first, cached=cached, not_blessed=not_blessed)


def test_pretraining_pipeline_completes_and_pushes_a_blessed_model(pretraining_runs):
    first = pretraining_runs.first
    assert set(first.states) == PRETRAINING_NODES
    assert all(s == [COMPLETE] for s in first.states.values()), first.states
    assert first.blessings == [1]
    assert len(first.versions) == 1
    examples = [a for a in artifacts_of_type(first.mlmd, "Examples") if "masking" in a.custom_properties][0]
    assert examples.custom_properties["masking"].string_value == "static"
    assert examples.custom_properties["num_train_examples"].int_value > 0


def test_pretraining_pipeline_pushed_savedmodel_answers_fill_mask_and_embed(pretraining_runs):
    (version,) = pretraining_runs.first.versions
    loaded = tf.saved_model.load(str(pretraining_runs.serving / version))
    assert {"fill_mask", "embed", "serving_default"} <= set(loaded.signatures)
    out = loaded.signatures["fill_mask"](text=tf.constant(["i like [MASK] food .", "猫是[MASK]。"]))
    tokens = out["top_k_tokens"].numpy()
    assert tokens.shape[0] == 2 and tokens.shape[-1] == 5 and tokens[0, 0, 0]
    pooled = loaded.signatures["embed"](text=tf.constant(["hello"]))
    assert all(v.shape[0] == 1 for v in pooled.values())


def test_pretraining_pipeline_unchanged_rerun_is_served_from_the_cache(pretraining_runs):
    first, cached = pretraining_runs.first, pretraining_runs.cached
    assert set(cached.states) == PRETRAINING_NODES
    assert all(s == [CACHED] for s in cached.states.values()), cached.states
    assert cached.versions == first.versions  # nothing new is pushed
    assert cached.blessings == [1]
    assert cached.seconds < first.seconds, (cached.seconds, first.seconds)


def test_pretraining_pipeline_unreachable_threshold_is_not_blessed_or_pushed(pretraining_runs):
    """A threshold the model cannot reach: the cached model is evaluated again, NOT_BLESSED, no push."""
    run = pretraining_runs.not_blessed
    assert run.blessings == [1, 0]
    assert run.states["Trainer"] == [CACHED]
    assert run.states["MlmEvaluator"] == [COMPLETE]
    assert run.versions == pretraining_runs.first.versions
    pushed = artifacts_of_type(run.mlmd, "PushedModel")
    assert pushed[-1].custom_properties["pushed"].int_value == 0


@pytest.fixture(scope="module")
def teacher_dir(pretraining_root, spm_vocab_dir):
    """A random 2-layer pretrainer saved as a model dir with the session vocabulary."""
    from albert_keras.model_dir import save_model_dir
    from albert_keras.models.backbone import AlbertBackbone
    from albert_keras.tasks.pretrainer import AlbertPretrainer
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    vocab_size = SentencePieceEncoder(str(spm_vocab_dir)).vocabulary_size()
    teacher_backbone = AlbertBackbone(vocabulary_size=vocab_size, **{**TINY_BACKBONE, "num_layers": 2})
    teacher = str(pretraining_root / "teacher")
    save_model_dir(AlbertPretrainer(teacher_backbone), teacher,
                   spm_path=os.path.join(str(spm_vocab_dir), "spiece.model"),
                   tokenizer_options={"lowercase": True, "strip_accents": True})
    return teacher


@pytest.fixture(scope="module")
def distill_run(pretraining_runs, pretraining_root, teacher_dir):
    """masking: dynamic and distill_from in one run, in the root of `pretraining_runs`.

    Each alone would cost another pipeline run; sharing the root serves the
    unchanged ingestion and validation from the cache.
    """
    serving = pretraining_root / "serving_distilled"
    student = {**TINY_BACKBONE, "hidden_dim": 16, "intermediate_dim": 32}
    path = write_config(pretraining_root / "distill.yaml", "pretraining", pretraining_root / "root", serving,
                        examples={"masking": "dynamic", "max_ngram": 2},
                        trainer={"distill_from": teacher_dir,
                                 "albert": {"model": {"init": "albert_tiny", "overrides": student},
                                            "training": {"global_batch_size": 8, "steps_per_loop": TRAIN_STEPS,
                                                         "verbose": 0},
                                            "distill": {"temperature": 2.0, "hidden_weight": 1.0}}})
    run = _run_and_record(pretraining_root / "root", serving, path)
    run.serving, run.teacher = serving, teacher_dir
    return run


def test_pretraining_pipeline_with_dynamic_masking_distils_a_student(distill_run):
    """Dynamic records are unmasked with word starts; the Trainer masks them anew
    and the evaluator once. distill_from imports the teacher's vocabulary and
    the Trainer distils the student.
    """
    from albert_keras.data.pretraining_dataset import record_kind
    from albert_keras.model_dir import backbone_config, read_config
    from pipeline.trainer.model_artifact import resolve_model_dir

    run, teacher = distill_run, distill_run.teacher
    states = run.states
    assert "VocabularyGen" not in states and "vocabulary_importer" in states
    assert set(states) == PRETRAINING_NODES - {"VocabularyGen"} | {"vocabulary_importer"}
    assert all(states[n] == [CACHED] for n in INGESTION_NODES), states
    assert all(s == [COMPLETE] for n, s in states.items() if n not in INGESTION_NODES), states
    examples = [a for a in artifacts_of_type(run.mlmd, "Examples") if "masking" in a.custom_properties][-1]
    assert examples.custom_properties["masking"].string_value == "dynamic"
    assert examples.custom_properties["max_ngram"].int_value == 2
    assert record_kind(os.path.join(examples.uri, "Split-train", "*")) == "dynamic"
    blessing = artifacts_of_type(run.mlmd, "ModelBlessing")[-1]
    with open(os.path.join(blessing.uri, "metrics.json")) as f:
        evaluated = json.load(f)
    assert evaluated["num_predictions"] > 0
    assert 0.0 < evaluated["best_constant_accuracy"] < 1.0
    # ML Metadata keeps about 6 significant digits of a float property.
    assert blessing.custom_properties["best_constant_accuracy"].double_value == pytest.approx(
        evaluated["best_constant_accuracy"], rel=1e-4)
    model_run = artifacts_of_type(run.mlmd, "ModelRun")[-1]
    with open(os.path.join(model_run.uri, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["distill"]["teacher"] == teacher
    assert "teacher_eval" in metrics["distill"] and "eval" in metrics
    model = artifacts_of_type(run.mlmd, "Model")[-1]
    student_dir = resolve_model_dir(model.uri)
    assert backbone_config(read_config(student_dir))["hidden_dim"] == 16
    with open(os.path.join(student_dir, "spiece.model"), "rb") as a, \
            open(os.path.join(teacher, "spiece.model"), "rb") as b:
        assert a.read() == b.read()
    assert run.blessings[-1] == 1
    (version,) = run.versions
    loaded = tf.saved_model.load(str(run.serving / version))
    out = loaded.signatures["fill_mask"](text=tf.constant(["i like [MASK] food ."]))
    assert out["top_k_ids"].shape[-1] == 5


# --------------------------------------------------------------------------- fine-tuning


@pytest.fixture(scope="module")
def base_model_dir(tmp_path_factory, spm_vocab_dir):
    return make_base_model_dir(tmp_path_factory.mktemp("base") / "base_model", spm_vocab_dir)


def test_anomalies_stop_the_run_before_training(tmp_path, base_model_dir):
    data = tmp_path / "bad.jsonl"
    rows = [{"text": f"entry number {i} is about food", "label": "food"} for i in range(30)]
    rows += [{"text": "", "label": "food"}, {"text": "what is this", "label": "cooking"}]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    serving = tmp_path / "serving"
    path = write_config(tmp_path / "bad.yaml", "finetuning", tmp_path / "root", serving,
                        ingest={"inputs": [str(data)], "label": "field", "eval_buckets": 1},
                        finetuning={"base_model_dir": base_model_dir})
    start = time.monotonic()
    with pytest.raises(Exception) as raised:
        _run(path)
    assert time.monotonic() - start < 900
    message = str(raised.value)
    mlmd = os.path.join(tmp_path, "root", "metadata.sqlite")
    states = node_states(mlmd)
    assert states["ExampleValidator"] == [COMPLETE]
    assert states["AnomaliesGate"] == ["FAILED"], (states, message)
    assert "Trainer" not in states and "Pusher" not in states
    assert versions(serving) == []
    from tfx.types import standard_artifacts

    from pipeline.components.anomalies_gate import describe, read_anomalies

    (stored,) = artifacts_of_type(mlmd, "ExampleAnomalies")
    artifact = standard_artifacts.ExampleAnomalies()
    artifact.set_mlmd_artifact(stored)
    lines = "\n".join(describe(read_anomalies(artifact)))
    assert "'label'" in lines and "cooking" in lines
    assert "'text'" in lines
