"""Each fine-tuning task learns on a small hand-made or real set (random-init tiny model)."""

import json
import os

import numpy as np
import pytest

from albert_keras.training.finetune import run_finetuning
from tests.training_fixtures import FINETUNE_DATA, TINY_BACKBONE, train_small_vocab


@pytest.fixture(scope="module")
def spm(tmp_path_factory):
    return train_small_vocab(tmp_path_factory.mktemp("vocab"))


def _config(task, train, evaluation, spm, run_dir, sequence_length, epochs=15, lr=1e-3, **data):
    return {
        "task": {"name": task, "dropout": 0.0},
        "model": {"init": "albert_tiny", "overrides": dict(TINY_BACKBONE)},
        "data": dict(
            train_file=os.path.join(FINETUNE_DATA, train),
            eval_file=os.path.join(FINETUNE_DATA, evaluation),
            spm=spm,
            sequence_length=sequence_length,
            **data,
        ),
        "optimizer": {"name": "adamw", "learning_rate": lr, "warmup_steps": 5},
        "training": {"run_dir": str(run_dir), "global_batch_size": 16, "epochs": epochs, "verbose": 0},
    }


def _losses(result):
    with open(os.path.join(result.run_dir, "metrics.json")) as f:
        saved = json.load(f)
    assert saved["eval"] == pytest.approx(result.metrics["eval"])
    return result.metrics["first_train"]["loss"], result.metrics["train"]["loss"]


def test_classification_learns_and_saves_class_labels(spm, tmp_path):
    result = run_finetuning(
        _config("classification", "sentiment_train.csv", "sentiment_eval.csv", spm, tmp_path, 16), fresh=True
    )
    first, last = _losses(result)
    assert last < 0.7 * first
    assert result.metrics["eval"]["accuracy"] >= 0.75  # chance: 0.5
    assert result.metrics["eval"]["mcc"] > 0.4
    from albert_keras.model_dir import load_model_dir

    model = load_model_dir(result.model_dir)
    assert model.class_labels == ["negative", "positive"]
    assert os.path.isfile(os.path.join(result.model_dir, "spiece.model"))
    assert os.path.isfile(os.path.join(result.run_dir, "training_curves.png"))


def test_regression_learns(spm, tmp_path):
    result = run_finetuning(
        _config("regression", "regression_train.tsv", "regression_eval.tsv", spm, tmp_path, 12), fresh=True
    )
    first, last = _losses(result)
    assert last < 0.5 * first
    assert result.metrics["eval"]["pearson"] > 0.5  # chance: 0
    assert result.metrics["eval"]["spearman"] > 0.5


@pytest.mark.slow
def test_token_classification_learns(spm, tmp_path):
    result = run_finetuning(
        _config("token_classification", "ner_train.conll", "ner_eval.conll", spm, tmp_path, 24), fresh=True
    )
    first, last = _losses(result)
    assert last < 0.5 * first
    assert result.metrics["eval"]["entity_f1"] > 0.5  # chance: ~0
    from albert_keras.model_dir import load_model_dir

    assert load_model_dir(result.model_dir).class_labels[0] == "O"


@pytest.mark.slow
def test_squad_learns_spans(spm, tmp_path):
    config = _config("squad", "squad_train.json", "squad_eval.json", spm, tmp_path, 40, epochs=12,
                     doc_stride=16, max_query_length=12, max_answer_length=6)
    result = run_finetuning(config, fresh=True)
    first, last = _losses(result)
    assert last < 0.7 * first
    # Always answering "" scores 25 EM here (a quarter of the questions are
    # unanswerable); random spans score ~0 on the answerable ones.
    assert result.metrics["eval"]["has_answer_f1"] > 20.0


@pytest.mark.slow
def test_multiple_choice_learns(spm, tmp_path):
    # At the default init (0.02) this tiny random-init model sometimes stays on
    # a uniform-attention plateau: seeds 0-3 at 15 epochs, lr 1e-3 measured
    # 0.656/0.563/0.906/0.406 (CI once saw 0.375). With init 0.1, 30 epochs,
    # lr 2e-3, seeds 0-11 all measured >= 0.94.
    config = _config("multiple_choice", "choice_train.jsonl", "choice_eval.jsonl", spm, tmp_path, 12,
                     epochs=30, lr=2e-3)
    config["model"]["overrides"]["initializer_range"] = 0.1
    result = run_finetuning(config, fresh=True)
    first, last = _losses(result)
    assert last < 0.7 * first
    assert result.metrics["eval"]["accuracy"] > 0.6  # chance: 1/3


@pytest.mark.slow
def test_fortune_categories_learn_on_real_text(spm, tmp_path):
    # A random-init tiny model on 240 real entries: it overfits (train
    # accuracy ~1.0) and generalizes only somewhat; measured 0.37 on 100
    # held-out entries (chance 0.25). Start from a pretrained model dir for more.
    config = _config("classification", "fortunes_train.jsonl", "fortunes_eval.jsonl", spm, tmp_path, 48,
                     epochs=25, lr=3e-3)
    result = run_finetuning(config, fresh=True)
    first, last = _losses(result)
    assert last < first
    accuracy = result.metrics["eval"]["accuracy"]
    print(f"fortune categories: eval accuracy {accuracy:.3f} (chance 0.25)")
    assert accuracy > 0.31
    assert len(set(np.unique([json.loads(line)["label"] for line in open(config["data"]["eval_file"])]))) == 4


def test_bad_label_in_eval_file_names_file_and_line(spm, tmp_path):
    from albert_keras.data.errors import DataError

    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nfine text,positive\nodd text,neutral\n")
    config = _config("classification", "sentiment_train.csv", "sentiment_eval.csv", spm, tmp_path / "run", 16)
    config["data"]["eval_file"] = str(bad)
    with pytest.raises(DataError, match=r"^`label` must be one of \['negative', 'positive'\]\. Received: 'neutral' "
                                         r"\(.*bad\.csv, line 3\)$"):
        run_finetuning(config)
