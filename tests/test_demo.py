"""`make demo`'s Chinese path on a tiny subset (`scripts/demo.py --quick`): every stage runs, both served models answer.

The figures of a 20-step run mean nothing; what is asserted is that the
pretraining pipeline pushed a model, the fine-tuning pipeline started from
that push and pushed a classifier, the server loaded both, `fill_mask`
answered each sentence with five candidates, `classify` gave a label and a
probability for each review, and the results table was printed.
"""

import os
import re
import subprocess
import sys

import pytest

from tests.test_pipeline_e2e import IN_MEMORY

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_demo_quick_runs_every_stage_and_the_served_models_answer(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    try:
        import demo
    finally:
        sys.path.remove(os.path.join(ROOT, "scripts"))

    env = dict(os.environ, DEMO_RUNS=str(tmp_path / "runs"), DEMO_BEAM_ARGS=" ".join(IN_MEMORY),
               ALBERT_KERAS_HOME=str(tmp_path / "home"))
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "demo.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200, env=env,
    )
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-4000:]
    for stage in ("== 1/4 pretraining pipeline", "== 2/4 fine-tuning pipeline", "== 3/4 serving both models",
                  "== 4/4 queries", "== results"):
        assert stage in out, out
    runs = tmp_path / "runs"
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
