"""Pretraining on the bundled English corpus beats the unigram baseline on held-out text."""

import os

import pytest

from albert_keras.config import PretrainConfig, load
from albert_keras.training.pretrain import run_pretraining
from tests.training_fixtures import REPO


@pytest.mark.slow
def test_tiny_cpu_pretraining_beats_the_unigram_baseline(tmp_path):
    # configs/pretrain/tiny_cpu.yaml, shortened (it trains 1500 steps).
    config = load(
        PretrainConfig,
        os.path.join(REPO, "configs/pretrain/tiny_cpu.yaml"),
        [f"training.run_dir={tmp_path}", "training.train_steps=600", "training.checkpoint_every=0",
         "training.verbose=0"],
    )
    result = run_pretraining(config, fresh=True)
    ev = result.metrics["eval"]
    print(
        f"held-out MLM accuracy {ev['mlm_accuracy']:.4f} vs unigram baseline {ev['unigram_baseline_accuracy']:.4f} "
        f"({ev['num_predictions']} predictions); SOP accuracy {ev['sop_accuracy']:.3f}; "
        f"perplexity {ev['perplexity']:.1f}"
    )
    assert ev["num_predictions"] >= 500
    assert ev["mlm_accuracy"] > 2.0 * ev["unigram_baseline_accuracy"]
    assert ev["mlm_accuracy"] - ev["unigram_baseline_accuracy"] > 0.04
    assert result.metrics["train"]["mlm_loss"] < 6.0  # ln(1000) = 6.9 at the start
