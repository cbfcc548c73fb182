"""Helpers for the training tests: a small English vocabulary and tiny configs."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FINETUNE_DATA = os.path.join(REPO, "tests", "data", "finetune")
FORTUNES = [os.path.join(REPO, "data", "fortunes", f"{n}.txt") for n in ("computers", "science", "politics", "food")]

# A backbone small enough for many short CPU runs.
TINY_BACKBONE = {
    "num_layers": 2,
    "num_heads": 2,
    "embedding_dim": 32,
    "hidden_dim": 64,
    "intermediate_dim": 128,
    "max_sequence_length": 64,
}


def train_small_vocab(out_dir, vocab_size=600):
    """Trains a lowercased English vocabulary on the fortunes and the fine-tuning fixtures."""
    from albert_keras.data import corpus
    from albert_keras.tokenizer import vocab

    documents = corpus.read_corpus(FORTUNES, "fortune")
    for name in sorted(os.listdir(FINETUNE_DATA)):
        if name.endswith((".csv", ".tsv", ".jsonl", ".json", ".conll")):
            with open(os.path.join(FINETUNE_DATA, name), encoding="utf-8") as f:
                documents.append(f.read())
    proto = vocab.train_sentencepiece(documents, vocab_size=vocab_size, seed=0)
    vocab.write_vocab_dir(str(out_dir), proto, {"lowercase": True, "strip_accents": True, "seed": 0})
    return str(out_dir)


def tiny_pretrain_config(run_dir, spm, **training):
    """A pretraining config dict: tiny backbone, seq 32, a few steps."""
    config = {
        "model": {"init": "albert_tiny", "overrides": dict(TINY_BACKBONE)},
        "data": {
            "source": "text",
            "train_files": FORTUNES[:1],
            "format": "fortune",
            "spm": spm,
            "sequence_length": 32,
            "max_predictions": 5,
            "eval_fraction": 0.05,
        },
        "optimizer": {"name": "lamb", "learning_rate": 0.002, "warmup_steps": 2},
        "training": {
            "run_dir": str(run_dir),
            "global_batch_size": 8,
            "train_steps": 4,
            "steps_per_loop": 2,
            "checkpoint_every": 2,
            "verbose": 0,
        },
        "distribution": {"strategy": "default"},
    }
    config["training"].update(training)
    return config


def run_python(code, env=None, timeout=300):
    """Runs `code` in a fresh Python (so TF device setup can differ); returns CompletedProcess."""
    full_env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=timeout
    )
