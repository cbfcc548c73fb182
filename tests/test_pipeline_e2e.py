"""End to end: LocalDagRunner runs both pipelines on tiny data (slow: minutes each).

Checks, from ML Metadata and the files: every component succeeded, the
pushed version dir holds a SavedModel whose signatures answer, a blessing
exists; an unchanged re-run hits the cache; a model that fails the
evaluator threshold is not pushed; anomalies stop the run before training.
"""

import json
import os
import time

import pytest
import tensorflow as tf
import yaml

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_BACKBONE = dict(num_layers=1, num_heads=2, embedding_dim=16, hidden_dim=32, intermediate_dim=64,
                     max_sequence_length=32)

COMPLETE, CACHED = "COMPLETE", "CACHED"


def write_config(path, kind, root, serving_dir, **sections):
    """Writes a tiny pipeline config of `kind` and returns its path."""
    data = {
        "pipeline": {"name": f"test-{kind}", "kind": kind, "root": str(root), "serving_dir": str(serving_dir)},
        "trainer": {"albert": {"training": {"global_batch_size": 8, "steps_per_loop": 10, "verbose": 0}}},
        "beam": {"args": ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]},
    }
    if kind == "pretraining":
        data.update(
            ingest={"inputs": [os.path.join(REPO, "data/fortunes/food.txt"), os.path.join(REPO, "data/zh/song100.txt")]},
            schema={"file": os.path.join(REPO, "configs/pipeline/schema/pretraining.pbtxt")},
            vocabulary={"vocab_size": 2000},
            examples={"sequence_length": 32, "max_predictions": 5, "dupe_factor": 1},
        )
        data["trainer"].update(train_steps=10)
        data["trainer"]["albert"]["model"] = {"init": "albert_tiny", "overrides": TINY_BACKBONE}
    else:
        data.update(
            ingest={"inputs": [os.path.join(REPO, "data/fortunes/food.txt"),
                               os.path.join(REPO, "data/fortunes/computers.txt")],
                    "label": "file", "eval_buckets": 2},
            schema={"file": os.path.join(REPO, "configs/pipeline/schema/fortunes_classification.pbtxt")},
            finetuning={"labels": ["computers", "food", "politics", "science"], "sequence_length": 32},
        )
        data["trainer"].update(train_steps=20)
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


def node_states(metadata_path):
    """`{node_id: [execution state names, oldest first]}` from the pipeline's SQLite MLMD."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    store = metadata_store.MetadataStore(config)
    states = {}
    for context in store.get_contexts_by_type("node"):
        node = context.name.split(".", 1)[1]
        executions = sorted(store.get_executions_by_context(context.id), key=lambda e: e.id)
        states[node] = [metadata_store_pb2.Execution.State.Name(e.last_known_state) for e in executions]
    return states


def artifacts_of_type(metadata_path, type_name):
    """Artifacts of an MLMD type, oldest first."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    store = metadata_store.MetadataStore(config)
    return sorted(store.get_artifacts_by_type(type_name), key=lambda a: a.id)


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


def _run(config_path, **overrides):
    from pipeline.config import load_config
    from pipeline.local_runner import metadata_path, run

    config = load_config(config_path, overrides=overrides or None)
    seconds = run(config)
    return config, metadata_path(config.pipeline.root), seconds


def _blessings(mlmd):
    return [a.custom_properties["blessed"].int_value for a in artifacts_of_type(mlmd, "ModelBlessing")]


def test_pretraining_pipeline_pushes_a_blessed_model_and_reruns_from_cache(tmp_path):
    serving = tmp_path / "serving"
    path = write_config(tmp_path / "pre.yaml", "pretraining", tmp_path / "root", serving)
    config, mlmd, first = _run(path)

    states = node_states(mlmd)
    assert set(states) == PRETRAINING_NODES
    assert all(s == [COMPLETE] for s in states.values()), states
    assert _blessings(mlmd) == [1]
    (version,) = versions(serving)
    loaded = tf.saved_model.load(str(serving / version))
    assert {"fill_mask", "embed", "serving_default"} <= set(loaded.signatures)
    out = loaded.signatures["fill_mask"](text=tf.constant(["i like [MASK] food .", "猫是[MASK]。"]),
                                         text_b=tf.constant(["", ""]))
    tokens = out["top_k_tokens"].numpy()
    assert tokens.shape[0] == 2 and tokens.shape[-1] == 5 and tokens[0, 0, 0]
    pooled = loaded.signatures["embed"](text=tf.constant(["hello"]), text_b=tf.constant([""]))
    assert all(v.shape[0] == 1 for v in pooled.values())
    (examples,) = [a for a in artifacts_of_type(mlmd, "Examples")
                   if "masking" in a.custom_properties]
    assert examples.custom_properties["masking"].string_value == "static"
    assert examples.custom_properties["num_train_examples"].int_value > 0

    # Unchanged: every component is served from the cache, nothing new is pushed.
    _, _, cached = _run(path)
    states = node_states(mlmd)
    assert all(s == [COMPLETE, CACHED] for s in states.values()), states
    assert versions(serving) == [version]
    assert cached < first, (cached, first)
    print(f"pretraining pipeline: first run {first:.1f} s, cached re-run {cached:.1f} s")

    # Quality gate: a threshold the model cannot reach -> NOT_BLESSED, no pus
    _run(path, evaluator={"min_mlm_accuracy": 0.999})
    assert _blessings(mlmd) == [1, 0]
    assert node_states(mlmd)["Trainer"] == [COMPLETE, CACHED, CACHED]
    assert versions(serving) == [version]
    pushed = artifacts_of_type(mlmd, "PushedModel")
    assert pushed[-1].custom_properties["pushed"].int_value == 0


def test_pretraining_pipeline_with_dynamic_masking_distils_a_student(tmp_path, spm_vocab_dir):
    """masking: dynamic and distill_from in one run (each alone would cost another pipeline run).

    Dynamic records are unmasked with word starts; the Trainer masks them anew
    and the evaluator once. distill_from imports the teacher's vocabulary and
    the Trainer distils the student.
    """
    from albert_keras.data.pretraining_dataset import record_kind
    from albert_keras.model_dir import backbone_config, read_config, save_model_dir
    from albert_keras.models.backbone import AlbertBackbone
    from albert_keras.tasks.pretrainer import AlbertPretrainer
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    vocab_size = SentencePieceEncoder(str(spm_vocab_dir)).vocabulary_size()
    teacher_backbone = AlbertBackbone(vocabulary_size=vocab_size, **{**TINY_BACKBONE, "num_layers": 2})
    teacher = str(tmp_path / "teacher")
    save_model_dir(AlbertPretrainer(teacher_backbone), teacher,
                   spm_path=os.path.join(str(spm_vocab_dir), "spiece.model"),
                   tokenizer_options={"lowercase": True, "strip_accents": True})
    serving = tmp_path / "serving"
    student = {**TINY_BACKBONE, "hidden_dim": 16, "intermediate_dim": 32}
    path = write_config(tmp_path / "pre.yaml", "pretraining", tmp_path / "root", serving,
                        examples={"masking": "dynamic", "max_ngram": 2},
                        trainer={"distill_from": teacher,
                                 "albert": {"model": {"init": "albert_tiny", "overrides": student},
                                            "training": {"global_batch_size": 8, "steps_per_loop": 10,
                                                         "verbose": 0},
                                            "distill": {"temperature": 2.0, "hidden_weight": 1.0}}})
    _, mlmd, _ = _run(path)
    states = node_states(mlmd)
    assert "VocabularyGen" not in states and "vocabulary_importer" in states
    assert all(s == [COMPLETE] for s in states.values()), states
    (examples,) = [a for a in artifacts_of_type(mlmd, "Examples") if "masking" in a.custom_properties]
    assert examples.custom_properties["masking"].string_value == "dynamic"
    assert examples.custom_properties["max_ngram"].int_value == 2
    assert record_kind(os.path.join(examples.uri, "Split-train", "*")) == "dynamic"
    (blessing,) = artifacts_of_type(mlmd, "ModelBlessing")
    with open(os.path.join(blessing.uri, "metrics.json")) as f:
        evaluated = json.load(f)
    assert evaluated["num_predictions"] > 0
    assert 0.0 < evaluated["best_constant_accuracy"] < 1.0
    # ML Metadata keeps about 6 significant digits of a float property.
    assert blessing.custom_properties["best_constant_accuracy"].double_value == pytest.approx(
        evaluated["best_constant_accuracy"], rel=1e-4)
    (run,) = artifacts_of_type(mlmd, "ModelRun")
    with open(os.path.join(run.uri, "metrics.json")) as f:
        metrics = json.load(f)
    assert metrics["distill"]["teacher"] == teacher
    assert "teacher_eval" in metrics["distill"] and "eval" in metrics
    (model,) = artifacts_of_type(mlmd, "Model")
    from pipeline.trainer.model_artifact import resolve_model_dir

    student_dir = resolve_model_dir(model.uri)
    assert backbone_config(read_config(student_dir))["hidden_dim"] == 16
    with open(os.path.join(student_dir, "spiece.model"), "rb") as a, \
            open(os.path.join(teacher, "spiece.model"), "rb") as b:
        assert a.read() == b.read()
    assert _blessings(mlmd) == [1]
    (version,) = versions(serving)
    loaded = tf.saved_model.load(str(serving / version))
    out = loaded.signatures["fill_mask"](text=tf.constant(["i like [MASK] food ."]), text_b=tf.constant([""]))
    assert out["top_k_ids"].shape[-1] == 5


@pytest.fixture()
def base_model_dir(tmp_path, spm_vocab_dir):
    return make_base_model_dir(tmp_path / "base_model", spm_vocab_dir)


def test_finetuning_pipeline_evaluates_with_tfma_and_gates_on_accuracy(tmp_path, base_model_dir):
    serving = tmp_path / "serving"
    path = write_config(tmp_path / "ft.yaml", "finetuning", tmp_path / "root", serving,
                          finetuning={"base_model_dir": base_model_dir},
                          evaluator={"min_accuracy": 0.0, "max_accuracy_drop": 1.0})
    config, mlmd, _ = _run(path)
    states = node_states(mlmd)
    assert set(states) == FINETUNING_NODES
    assert all(s == [COMPLETE] for s in states.values()), states
    assert _blessings(mlmd) == [1]
    (version,) = versions(serving)
    loaded = tf.saved_model.load(str(serving / version))
    example = tf.train.Example()
    example.features.feature["text"].bytes_list.value.append(b"Eat your vegetables.")
    from albert_keras.export import EXAMPLES_KEY

    out = loaded.signatures["serving_default"](**{EXAMPLES_KEY: tf.constant([example.SerializeToString()])})
    assert out["scores"].shape == (1, 4)
    assert [c.decode() for c in out["classes"].numpy()[0]] == ["computers", "food", "politics", "science"]
    assert "classify" in loaded.signatures
    (evaluation,) = artifacts_of_type(mlmd, "ModelEvaluation")
    assert os.listdir(evaluation.uri)

    # An accuracy the tiny model cannot reach: the Evaluator does not bless, Pusher skips.
    _run(path, evaluator={"min_accuracy": 0.999})
    assert _blessings(mlmd) == [1, 0]
    assert node_states(mlmd)["Trainer"] == [COMPLETE, CACHED]
    assert versions(serving) == [version]


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
    from pipeline.components.anomalies_gate import describe, read_anomalies
    from tfx.types import standard_artifacts

    (stored,) = artifacts_of_type(mlmd, "ExampleAnomalies")
    artifact = standard_artifacts.ExampleAnomalies()
    artifact.set_mlmd_artifact(stored)
    lines = "\n".join(describe(read_anomalies(artifact)))
    assert "'label'" in lines and "cooking" in lines
    assert "'text'" in lines
