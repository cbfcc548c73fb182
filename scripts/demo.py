"""`make demo`: Chinese reviews end to end, pretraining → fine-tuning → serving → answers.

    .venv/bin/python scripts/demo.py [--quick]

Stages (each prints its own progress; library messages go to log files):

1. the pretraining pipeline (`configs/pipeline/pretrain_zh_reviews.yaml`) on
   the bundled reviews (`data/zh_reviews/reviews.csv.gz`): a WordPiece
   vocabulary trained on them, dynamic masking, a small ALBERT, held-out MLM
   accuracy as the blessing, pushed to `runs/serving/albert_zh_reviews_mlm`;
2. the fine-tuning pipeline (`configs/pipeline/finetune_zh_sentiment.yaml`)
   from that pushed model: sentiment, gated by TFMA, pushed to
   `runs/serving/albert_zh_sentiment`;
3. `albert serve` with both models (a models.config), then `albert query`:
   `fill_mask` on in-domain sentences and on `猫是[MASK]。`, `classify` on
   reviews written for the demo (in no split);
4. one results table: held-out MLM accuracy beside the best constant answer,
   held-out sentiment accuracy beside the majority class and TF-IDF + logistic
   regression on the same split, and the wall time of each stage.

`--quick` (the slow test) runs the same path on a tiny subset with a few
steps; its figures mean nothing. Environment: ALBERT (default
.venv/bin/albert), DEMO_RUNS (default runs/: pipelines, serving dirs, logs),
DEMO_BEAM_ARGS (Beam args of both pipelines, space-separated).
"""

import argparse
import csv
import glob
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from albert_keras import logs  # noqa: E402  (the repo root is on sys.path only now; none of these imports TF)
from albert_keras.data import tabular  # noqa: E402
from albert_keras.data.splits import bucket_of, split_of  # noqa: E402
from bench.baselines import majority_accuracy, tfidf_lr_accuracy  # noqa: E402

PRETRAIN_CONFIG = "configs/pipeline/pretrain_zh_reviews.yaml"
FINETUNE_CONFIG = "configs/pipeline/finetune_zh_sentiment.yaml"
DATA = "data/zh_reviews/reviews.csv.gz"
MLM_MODEL, SENTIMENT_MODEL = "zh_reviews_mlm", "zh_sentiment"

FILL_MASK = [
    "这个手机的屏幕很[MASK]。",
    "送餐速度太[MASK]了。",
    "味道很[MASK]，下次还会再来。",
    "衣服质量不[MASK]，退货了。",
    "猫是[MASK]。",
]
# Written for the demo: in neither split of the bundled data.
CLASSIFY = [
    "物流很快，包装完好，孩子特别喜欢这本书！",
    "屏幕清晰，电池也耐用，性价比很高。",
    "等了两个小时才送到，饭菜全凉了。",
    "质量太差，用了两天就坏了，再也不买了。",
]


def _run(command):
    print("$ " + " ".join(command), flush=True)
    start = time.monotonic()
    # The console streams (logs.setup points fds 1 and 2 at the demo's log file).
    subprocess.run(command, check=True, cwd=REPO, stdout=sys.stdout, stderr=sys.stderr)
    return time.monotonic() - start


def _config(path, runs):
    with open(os.path.join(REPO, path)) as f:
        config = yaml.safe_load(f)
    p = config["pipeline"]
    p["root"] = os.path.join(runs, "pipeline", os.path.basename(p["root"]))
    p["serving_dir"] = os.path.join(runs, "serving", os.path.basename(p["serving_dir"]))
    return config


def _write_config(config, directory, name):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        yaml.safe_dump(config, f, allow_unicode=True, sort_keys=False)
    return path


def _quick(pretrain, finetune, directory):
    """A tiny subset and a few steps: the slow test's path (figures mean nothing)."""
    rows = tabular.parse_rows(tabular.read_text(os.path.join(REPO, DATA)), DATA, "csv")
    rows = [r for r in rows if bucket_of("quick:" + r.values["review"], 60) == 0]  # ~460 reviews, by hash
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "cat", "label", "review"])
    writer.writerows([[r.values[k] for k in ("source", "cat", "label", "review")] for r in rows])
    subset = os.path.join(directory, "reviews_quick.csv.gz")
    with gzip.open(subset, "wt", encoding="utf-8") as f:
        f.write(out.getvalue())
    for config in (pretrain, finetune):
        config["ingest"]["inputs"] = [subset]
    pretrain["vocabulary"]["vocab_size"] = 1200
    pretrain["trainer"]["albert"]["model"]["overrides"].update(num_layers=1, hidden_dim=32, intermediate_dim=64,
                                                              embedding_dim=16, num_heads=2)
    pretrain["evaluator"]["min_mlm_accuracy"] = 0.0
    finetune["evaluator"]["min_accuracy"] = 0.0
    for config in (pretrain, finetune):
        config["trainer"]["train_steps"] = 10
        # No XLA: compiling a graph per length bucket costs more than 10 steps.
        config["trainer"]["albert"]["training"].update(steps_per_loop=10, jit_compile=False)
    return subset


def _newest(pattern):
    paths = glob.glob(pattern)
    if not paths:
        raise SystemExit(f"error: nothing matches {pattern}")
    return max(paths, key=lambda p: int(p.split(os.sep)[-2]) if p.split(os.sep)[-2].isdigit() else 0)


def _mlm_metrics(root):
    with open(_newest(os.path.join(root, "MlmEvaluator", "blessing", "*", "metrics.json"))) as f:
        return json.load(f)


def _tfma_accuracy(root):
    """The candidate's accuracy in the newest TFMA evaluation (the metric the Evaluator gates on)."""
    import tensorflow_model_analysis as tfma  # slow imports: only for the report

    from pipeline.eval_config import ACCURACY

    uri = os.path.dirname(_newest(os.path.join(root, "Evaluator", "evaluation", "*", "")))
    for record in tfma.load_metrics(uri):
        if record.slice_key.single_slice_keys:  # only the overall slice
            continue
        for item in record.metric_keys_and_values:
            if item.key.name == ACCURACY and item.key.model_name in ("", "candidate"):
                return item.value.double_value.value
    raise SystemExit(f"error: no {ACCURACY} in the TFMA evaluation {uri}")


def _split_reviews(path):
    rows = tabular.parse_rows(tabular.read_text(path), path, "csv")
    split = {"train": ([], []), "eval": ([], [])}
    for row in rows:
        text = row.values["review"].strip()
        texts, labels = split[split_of(text, 1, 10)]
        texts.append(text)
        labels.append(row.values["label"])
    return split


def _free_ports(n):
    import socket

    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _wait_available(rest_port, names, server, timeout=300):
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending and time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("error: the model server exited; see its log")
        for name in sorted(pending):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{rest_port}/v1/models/{name}", timeout=5) as r:
                    states = [v.get("state") for v in json.load(r).get("model_version_status", [])]
                if "AVAILABLE" in states:
                    pending.discard(name)
            except OSError:
                pass
        time.sleep(1)
    if pending:
        raise SystemExit(f"error: {sorted(pending)} did not become AVAILABLE within {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny subset, a few steps (the slow test)")
    parser.add_argument("--verbose", action="store_true", help="show library messages on the console too")
    args = parser.parse_args()
    albert = os.environ.get("ALBERT", os.path.join(REPO, ".venv", "bin", "albert"))
    runs = os.path.abspath(os.environ.get("DEMO_RUNS", os.path.join(REPO, "runs")))
    work = os.path.join(runs, "demo")
    os.makedirs(work, exist_ok=True)
    logs.setup(os.path.join(work, "demo.log"), verbose=args.verbose)
    pretrain, finetune = _config(PRETRAIN_CONFIG, runs), _config(FINETUNE_CONFIG, runs)
    finetune["finetuning"]["base_model_dir"] = pretrain["pipeline"]["serving_dir"]
    beam_args = os.environ.get("DEMO_BEAM_ARGS")
    if beam_args:
        for config in (pretrain, finetune):
            config["beam"] = {"args": beam_args.split()}
    data = os.path.join(REPO, DATA)
    if args.quick:
        data = _quick(pretrain, finetune, work)
    pretrain_path = _write_config(pretrain, work, "pretrain_zh_reviews.yaml")
    finetune_path = _write_config(finetune, work, "finetune_zh_sentiment.yaml")
    times = {}
    start = time.monotonic()

    print(f"== 1/4 pretraining pipeline ({PRETRAIN_CONFIG})", flush=True)
    times["pretraining pipeline"] = _run([albert, "pipeline", "run", pretrain_path])
    print(f"== 2/4 fine-tuning pipeline ({FINETUNE_CONFIG}), from the pushed pretrained model", flush=True)
    times["fine-tuning pipeline (TFMA gate)"] = _run([albert, "pipeline", "run", finetune_path])
    for config in (pretrain, finetune):
        if not any(n.isdigit() for n in os.listdir(config["pipeline"]["serving_dir"])):
            raise SystemExit(f"error: nothing was pushed to {config['pipeline']['serving_dir']} (not blessed?)")

    print("== 3/4 serving both models", flush=True)
    serve_start = time.monotonic()
    models_config = os.path.join(work, "models.config")
    entries = "".join(
        f'  config {{ name: "{name}" base_path: "{config["pipeline"]["serving_dir"]}" model_platform: "tensorflow" }}\n'
        for name, config in ((MLM_MODEL, pretrain), (SENTIMENT_MODEL, finetune))
    )
    with open(models_config, "w") as f:
        f.write("model_config_list {\n" + entries + "}\n")
    grpc_port, rest_port = _free_ports(2)
    log = open(os.path.join(work, "serve.log"), "w")  # the server's own console output
    server = subprocess.Popen(
        [albert, "serve", "--model-config-file", models_config, "--port", str(grpc_port),
         "--rest-port", str(rest_port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
    )
    try:
        _wait_available(rest_port, [MLM_MODEL, SENTIMENT_MODEL], server)
        times["serving start"] = time.monotonic() - serve_start
        print(f"both models AVAILABLE on 127.0.0.1:{grpc_port} (gRPC), :{rest_port} (REST)", flush=True)
        print("== 4/4 queries", flush=True)
        query_start = time.monotonic()
        texts = [a for t in FILL_MASK for a in ("--text", t)]
        _run([albert, "query", "--server", f"127.0.0.1:{grpc_port}", "--model", MLM_MODEL,
              "--signature", "fill_mask", *texts])
        texts = [a for t in CLASSIFY for a in ("--text", t)]
        _run([albert, "query", "--server", f"127.0.0.1:{grpc_port}", "--model", SENTIMENT_MODEL,
              "--signature", "classify", *texts])
        times["queries"] = time.monotonic() - query_start
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    report_start = time.monotonic()
    mlm = _mlm_metrics(pretrain["pipeline"]["root"])
    accuracy = _tfma_accuracy(finetune["pipeline"]["root"])
    split = _split_reviews(data)
    (train_x, train_y), (eval_x, eval_y) = split["train"], split["eval"]
    majority = majority_accuracy(train_x, train_y, eval_x, eval_y)
    tfidf = tfidf_lr_accuracy(train_x, train_y, eval_x, eval_y)
    times["baselines"] = time.monotonic() - report_start
    total = time.monotonic() - start

    print("\n== results (held-out: the md5 split of the review text, ~10%)")
    print("| what | ours | baselines |")
    print("|---|---:|---|")
    print(f"| fill-mask accuracy, {mlm['num_predictions']} masked characters/words | {mlm['mlm_accuracy']:.3f} "
          f"| best constant answer {mlm.get('best_constant_accuracy', float('nan')):.3f} |")
    print(f"| sentiment accuracy (TFMA), {len(eval_y)} reviews | {accuracy:.3f} "
          f"| majority {majority:.3f}, TF-IDF + LR {tfidf:.3f} ({len(train_y)} train) |")
    print("\n| stage | wall time |")
    print("|---|---:|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.0f} s |")
    print(f"| **total** | **{total:.0f} s** |")
    if args.quick:
        print("(--quick: a tiny subset and a few steps; the figures mean nothing)")


if __name__ == "__main__":
    main()
