"""Checks that an environment made by docker/install.sh runs the pipeline.

    python docker/smoke_check.py WORKDIR

Run by the pipeline image's build (docker/pipeline.Dockerfile) and by
tests/test_production_image.py in a fresh venv made the same way. It must
be run from outside the source tree, so that `pipeline` and `albert_keras`
are the installed wheel's. In order:

1. TF Text: `tensorflow_text` registers its ops (SentencepieceOp, ...),
   which stock TensorFlow lacks.
2. Imports every module of the installed `pipeline` package (components,
   Trainer modules, runners) and the Vertex AI Trainer extension.
3. Runs `pipeline.trainer.pretrain_module.run_fn` on a tiny example set in
   PretrainingExamplesGen's layout (``Split-train/``, ``Split-eval/``,
   ``vocab/``): 4 steps of a 1-layer model, then the export. The examples,
   the ModelRun and the Model live at remote URIs, as on Vertex AI
   (``gs://``): here ``ram://``, TensorFlow's in-memory file system.
4. Loads the exported SavedModel (from ``ram://``) and calls `fill_mask`
   (its tokenizer ops are TF Text's).

Prints one JSON line: what it saw (the test reads it).
"""

import json
import os
import pkgutil
import random
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

TEXT_OPS = ("SentencepieceOp", "SentencepieceTokenizeOp")
REMOTE = "ram://albert-smoke"  # stands for gs://BUCKET/pipeline_root/...
WORDS = ("the cat sat on a mat while a dog ran in the park and birds sang songs of spring "
         "rain fell over green hills where old trees stood near quiet rivers").split()


def _ops_registered(names):
    from tensorflow.python.framework import op_def_registry

    return {name: op_def_registry.get(name) is not None for name in names}


def _documents(n=40, seed=0):
    rng = random.Random(seed)
    sentences = lambda k: " ".join(  # noqa: E731
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))) + "." for _ in range(k))
    return [sentences(rng.randint(3, 6)) for _ in range(n)]


def _example_set(root):
    """A vocabulary and static records in PretrainingExamplesGen's artifact layout (local `root`)."""
    from albert_keras.data.pretraining_records import write_pretraining_records
    from albert_keras.tokenizer import vocab
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    docs = _documents()
    vocab_dir = os.path.join(root, "vocab")
    proto = vocab.train_sentencepiece(docs, vocab_size=48, seed=0)
    vocab.write_vocab_dir(vocab_dir, proto, {"lowercase": True, "strip_accents": True, "seed": 0})
    encoder = SentencePieceEncoder(vocab_dir)
    files = {}
    for split, part in (("train", docs[8:]), ("eval", docs[:8])):
        os.makedirs(os.path.join(root, f"Split-{split}"))
        files[split] = os.path.join(root, f"Split-{split}", "data_tfrecord-00000-of-00001")
        write_pretraining_records(part, encoder, files[split], max_seq_length=32, max_predictions=5, seed=1)
    return files


def _run_trainer(work):
    from tfx.components.trainer.fn_args_utils import FnArgs

    from pipeline import remote
    from pipeline.trainer import pretrain_module

    local = _example_set(os.path.join(work, "examples"))
    remote.upload_dir(os.path.join(work, "examples"), f"{REMOTE}/examples")
    files = {split: f"{REMOTE}/examples/Split-{split}/{os.path.basename(path)}" for split, path in local.items()}
    serving_model_dir = f"{REMOTE}/model/Format-Serving"
    custom_config = {
        "albert": {
            "model": {"init": "albert_tiny", "overrides": {
                "num_layers": 1, "num_heads": 2, "embedding_dim": 16, "hidden_dim": 32,
                "intermediate_dim": 64, "max_sequence_length": 32}},
            "optimizer": {"name": "lamb", "learning_rate": 0.002, "warmup_steps": 1},
            "training": {"global_batch_size": 8, "steps_per_loop": 2, "checkpoint_every": 0, "verbose": 0},
        },
        "strategy": "default", "tpu": None, "masking": "static", "sequence_length": 32, "max_predictions": 5,
        "masked_lm_prob": 0.15, "max_ngram": 3, "distill_from": None,
    }
    fn_args = FnArgs(
        train_files=[files["train"]], eval_files=[files["eval"]], train_steps=4, eval_steps=1,
        model_run_dir=f"{REMOTE}/model_run", serving_model_dir=serving_model_dir,
        custom_config=custom_config,
    )
    pretrain_module.run_fn(fn_args)
    return serving_model_dir


def main(work: str) -> dict:
    """Runs the four checks in `work` (an empty dir); returns what it saw."""
    seconds = {}
    start = time.perf_counter()
    import tensorflow as tf

    before = _ops_registered(TEXT_OPS)
    import tensorflow_text  # noqa: F401

    after = _ops_registered(TEXT_OPS)
    seconds["tensorflow"] = time.perf_counter() - start

    import pipeline

    modules = sorted(m.name for m in pkgutil.walk_packages(pipeline.__path__, "pipeline."))
    for name in modules:
        __import__(name)
    from tfx.v1.extensions import google_cloud_ai_platform

    seconds["imports"] = time.perf_counter() - start - sum(seconds.values())
    serving_model_dir = _run_trainer(work)
    seconds["run_fn"] = time.perf_counter() - start - sum(seconds.values())
    loaded = tf.saved_model.load(serving_model_dir)
    out = loaded.signatures["fill_mask"](text=tf.constant(["the cat [MASK] on a mat."]))
    seconds["fill_mask"] = time.perf_counter() - start - sum(seconds.values())
    return {
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
        "python": sys.executable,
        "pipeline_file": pipeline.__file__,
        "albert_keras_file": sys.modules["albert_keras"].__file__,
        "ops_before_tensorflow_text": before,
        "ops_after_tensorflow_text": after,
        "modules": modules,
        "vertex_trainer": google_cloud_ai_platform.Trainer.__name__,
        "serving_files": sorted(tf.io.gfile.listdir(serving_model_dir)),
        "model_dir_files": sorted(tf.io.gfile.listdir(f"{REMOTE}/model/AlbertModelDir")),
        "model_run_files": sorted(tf.io.gfile.listdir(f"{REMOTE}/model_run")),
        "fill_mask": {k: list(v.shape) for k, v in out.items()},
        "fill_mask_top_token": out["top_k_tokens"].numpy()[0, 0, 0].decode("utf-8"),
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} WORKDIR")
    os.makedirs(sys.argv[1], exist_ok=True)
    print(json.dumps(main(sys.argv[1])))
