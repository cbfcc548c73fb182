"""`make demo`'s Chinese path on a tiny subset (`scripts/demo.py --quick`): every stage runs, both served models answer.

The figures of a 20-step run mean nothing; what is asserted is that the
pretraining pipeline pushed a model, the fine-tuning pipeline started from
that push and pushed a classifier, the server loaded both, `fill_mask`
answered each sentence with five candidates, `classify` gave a label and a
probability for each review, and the results table was printed.

The demo's fine-tuning run is also the end-to-end test of the fine-tuning
pipeline (ML Metadata: every component ran, TFMA blessed, the pushed
SavedModel answers `serving_default`), and a second run of its config with
an accuracy the tiny model cannot reach checks the gate (Trainer cached, not
blessed, nothing pushed). The pretraining pipeline's own cases are in
test_pipeline_e2e.py.
"""

import os
import re
import subprocess
import sys

import pytest
import tensorflow as tf

from tests.test_pipeline_e2e import (
    CACHED,
    COMPLETE,
    FINETUNING_NODES,
    IN_MEMORY,
    _run_and_record,
    artifacts_of_type,
    node_states,
    versions,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.slow


def _demo_module():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        import demo
    finally:
        sys.path.remove(os.path.join(ROOT, "scripts"))
    return demo


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """`scripts/demo.py --quick` run once: (stdout, the runs dir)."""
    tmp_path = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, DEMO_RUNS=str(tmp_path / "runs"), DEMO_BEAM_ARGS=" ".join(IN_MEMORY),
               ALBERT_KERAS_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "demo.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200, env=env,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout, tmp_path / "runs"


def test_demo_quick_runs_every_stage_and_the_served_models_answer(demo_run):
    demo = _demo_module()
    out, runs = demo_run
    for stage in ("== 1/4 pretraining pipeline", "== 2/4 fine-tuning pipeline", "== 3/4 serving both models",
                  "== 4/4 queries", "== results"):
        assert stage in out, out
    mlm_versions = [n for n in os.listdir(runs / "serving" / "albert_zh_reviews_mlm") if n.isdigit()]
    sentiment_versions = [n for n in os.listdir(runs / "serving" / "albert_zh_sentiment") if n.isdigit()]
    assert len(mlm_versions) == 1 and len(sentiment_versions) == 1
    # The fine-tuning pipeline started from the pushed pretrained export (converted in its Trainer run).
    converted = list((runs / "pipeline").glob("zh_sentiment/Trainer/model_run/*/base_model/config.json"))
    assert converted, list((runs / "pipeline").rglob("base_model"))
    assert "both models AVAILABLE" in out
    # fill_mask: each sentence, then one line for its mask with five "token (score)" guesses.
    for sentence in demo.FILL_MASK:
        line = re.search(r"^\[\d\] " + re.escape(sentence) + r"\n    position \d+: (.*)$", out, flags=re.M)
        assert line, out
        assert len(re.findall(r"\(\d\.\d{3}\)", line.group(1))) == 5, line.group(1)
    # classify: a label and its probability before each review.
    for review in demo.CLASSIFY:
        assert re.search(r"^\[\d\] (negative|positive) \(\d\.\d{3}\)  " + re.escape(review) + "$", out, flags=re.M), out
    assert re.search(r"\| fill-mask accuracy, \d+ masked characters/words \| 0\.\d{3} \| best constant answer", out)
    assert re.search(r"\| sentiment accuracy \(TFMA\), \d+ reviews \| [01]\.\d{3} \| majority 0\.\d{3}, TF-IDF", out)
    assert re.search(r"\| \*\*total\*\* \| \*\*\d+ s\*\* \|", out)


def test_demo_finetuning_pipeline_evaluates_with_tfma_and_pushes_a_classifier(demo_run):
    from albert_keras.export import EXAMPLES_KEY

    _, runs = demo_run
    mlmd = str(runs / "pipeline" / "zh_sentiment" / "metadata.sqlite")
    states = node_states(mlmd)
    assert set(states) == FINETUNING_NODES
    assert all(s == [COMPLETE] for s in states.values()), states
    assert [a.custom_properties["blessed"].int_value for a in artifacts_of_type(mlmd, "ModelBlessing")] == [1]
    evaluation = artifacts_of_type(mlmd, "ModelEvaluation")[0]
    assert os.listdir(evaluation.uri)
    (version,) = versions(runs / "serving" / "albert_zh_sentiment")
    loaded = tf.saved_model.load(str(runs / "serving" / "albert_zh_sentiment" / version))
    example = tf.train.Example()
    example.features.feature["text"].bytes_list.value.append("质量很好".encode())
    out = loaded.signatures["serving_default"](**{EXAMPLES_KEY: tf.constant([example.SerializeToString()])})
    assert out["scores"].shape == (1, 2)
    assert [c.decode() for c in out["classes"].numpy()[0]] == ["negative", "positive"]
    assert "classify" in loaded.signatures


def test_demo_finetuning_pipeline_gates_on_accuracy(demo_run):
    """The demo's fine-tuning config again, with an accuracy the tiny model cannot reach: the Evaluator
    does not bless, the Trainer is served from the cache, Pusher pushes nothing."""
    _, runs = demo_run
    serving = runs / "serving" / "albert_zh_sentiment"
    before = versions(serving)
    run = _run_and_record(runs / "pipeline" / "zh_sentiment", serving,
                          str(runs / "demo" / "finetune_zh_sentiment.yaml"), evaluator={"min_accuracy": 0.999})
    assert run.blessings == [1, 0]
    assert run.states["Trainer"] == [CACHED]
    assert run.states["Evaluator"] == [COMPLETE]
    assert run.versions == before
