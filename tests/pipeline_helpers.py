"""Helpers of the pipeline end-to-end tests: configs, ML Metadata queries, a tiny base model."""

import os

import yaml

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
