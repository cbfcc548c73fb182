"""Real Chinese tasks: a classic baseline, our model from scratch and from a review-pretrained model.

The tasks (data from ``../shared/data``, see its README; `--data-dir`):

| task | data | metric |
|---|---|---|
| `sentiment` | all 52,773 product reviews (`online_shopping_9_cats.csv`, `label`) | accuracy |
| `topic` | the same reviews, their 9 categories (`cat`) | accuracy |
| `waimai` | 11,987 food-delivery reviews (`waimai_10k.csv`, `label`) | accuracy |
| `ner` | 50,000 MSRA sentences (`msra_char_bio.txt`, PER/LOC/ORG) | entity F1 (exact span and type, micro) |

Every record goes to train or eval by the md5 of its text
(`albert_keras.data.splits`, eval = 1 bucket of 10, ~10%). Each task is run
three ways on the same split:

* **baseline** (`bench/baselines.py`): majority class and char 1–3-gram
  TF-IDF + logistic regression for the classification tasks; a CRF with
  character-window features for NER;
* **from scratch**: `albert finetune`'s recipe (`run_finetuning`) on a
  randomly initialized backbone of the same architecture and vocabulary;
* **from pretrained**: the same recipe from a model pretrained here on the
  review text of the train splits only (a WordPiece vocabulary trained on it
  by `albert vocab --kind wordpiece`, every CJK character a token; MLM + SOP
  with dynamic masking, `run_pretraining`), or from `--pretrained MODEL_DIR`.

The NER sentences (up to 100 characters) are cut into chunks of at most
`--seq-len` - 2 characters after a comma or full stop for the taggers;
their predictions are joined again, so every method is scored on the same
whole sentences.

    .venv/bin/python bench/zh_tasks.py --output docs/benchmarks.md    # ~36 min on 2 idle CPU cores
    .venv/bin/python bench/zh_tasks.py --quick                        # < 3 min: does it run?

Each finished part is appended to WORK/results.jsonl (`--work-dir`, default
runs/zh_tasks or runs/zh_tasks_quick) and skipped when the script runs again
with the same settings (pretraining also resumes from its checkpoints);
`--fresh` starts over. The script prints one markdown table (task, metric,
baseline, from scratch, from pretrained, examples train/eval), the wall
time of each part, the machine and the exact command; `--output FILE.md`
writes them between the `zh_tasks` markers of FILE (docs/benchmarks.md),
`--output FILE.json` as JSON. It measures; it asserts nothing.
"""

import argparse
import csv
import dataclasses
import functools
import json
import os
import platform
import random
import shlex
import shutil
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Run as a script, Python puts bench/ first on the path, where bench/serving.py would shadow the
# `serving` package (the CLI loads its entry points): import from the repo root instead.
_SHADOWING = (REPO, os.path.join(REPO, "bench"))
sys.path[:] = [REPO] + [p for p in sys.path if os.path.abspath(p or os.curdir) not in _SHADOWING]

from albert_keras.data import splits  # noqa: E402
from albert_keras.data.readers import conll, table  # noqa: E402
from albert_keras.models.sharing import SHARING_MODES  # noqa: E402
from bench import baselines  # noqa: E402

TASKS = ("sentiment", "topic", "waimai", "ner")
METHODS = ("baseline", "scratch", "pretrained")
TITLES = {
    "sentiment": "product-review sentiment (2 classes)",
    "topic": "product-review topic (9 categories)",
    "waimai": "food-delivery sentiment (2 classes)",
    "ner": "MSRA NER (PER, LOC, ORG)",
}
SHOPPING = "zh_reviews/online_shopping_9_cats.csv"
WAIMAI = "zh_reviews/waimai_10k.csv"
MSRA = "zh_ner/msra_char_bio.txt"
BEGIN, END = "<!-- zh_tasks:begin -->", "<!-- zh_tasks:end -->"
CUT_AFTER = set("，。；！？、,;!?")  # where a long NER sentence is preferably cut

# Sizes of the full run (2 CPU cores, ~60 min) and of --quick (< 3 min); a flag given overrides either.
# The full run's model and pretraining are the demo's recipe (configs/pipeline/pretrain_zh_reviews.yaml;
# docs/pipeline.md, "Session 13"): two unshared layers, init 0.1, 40% single-character masks, AdamW 3e-3
# decaying to 1.5e-3. Its attention leaves the uniform start within ~1,500 steps (init 0.02: ~2,700).
FULL = {"max_train": 0, "max_eval": 0, "max_pretrain_texts": 0, "vocab_size": 8000, "seq_len": 64,
        "batch_size": 32, "num_layers": 2, "hidden_dim": 128, "embedding_dim": 64, "intermediate_dim": 512,
        "num_heads": 4, "sharing": "none", "initializer_range": 0.1, "pretrain_steps": 4000,
        "pretrain_lr": 0.003, "pretrain_end_lr": 0.0015, "masking_rate": 0.4, "max_ngram": 1,
        "finetune_steps": 1500, "finetune_lr": 0.001, "crf_iterations": 100, "xla": True}
QUICK = {"max_train": 600, "max_eval": 200, "max_pretrain_texts": 3000, "vocab_size": 3000, "seq_len": 32,
         "batch_size": 16, "num_layers": 2, "hidden_dim": 64, "embedding_dim": 32, "intermediate_dim": 128,
         "num_heads": 2, "sharing": "all", "initializer_range": 0.02, "pretrain_steps": 100,
         "pretrain_lr": 0.002, "pretrain_end_lr": 0.0, "masking_rate": 0.15, "max_ngram": 3,
         "finetune_steps": 100, "finetune_lr": 0.002, "crf_iterations": 30, "xla": False}
ARCHITECTURE = ("num_layers", "hidden_dim", "embedding_dim", "intermediate_dim", "num_heads", "sharing",
                "initializer_range")
ARCHITECTURE_TYPES = {"sharing": str, "initializer_range": float}


def default_data_dir():
    """../shared/data next to the repo when it is there, else shared/data inside it."""
    candidates = [os.path.join(os.path.dirname(REPO), "shared", "data"), os.path.join(REPO, "shared", "data")]
    return next((c for c in candidates if os.path.isdir(c)), candidates[0])


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=default_data_dir(),
                   help="the shared data dir (default: ../shared/data from the repo, else shared/data in it)")
    p.add_argument("--work-dir", default=None, help="runs and results.jsonl (default runs/zh_tasks[_quick])")
    p.add_argument("--output", default=None, metavar="FILE.md|FILE.json",
                   help="also write the table: between the zh_tasks markers of a .md file, or as .json")
    p.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--pretrained", default=None, metavar="MODEL_DIR",
                   help="fine-tune from this model dir (and its vocabulary) instead of pretraining here")
    p.add_argument("--quick", action="store_true", help="tiny subsets and a few steps (< 3 min): does it run?")
    p.add_argument("--fresh", action="store_true", help="delete the work dir first (results, runs, checkpoints)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verbose", type=int, default=None, choices=(0, 1, 2), help="Keras progress (default 2; quick 0)")
    sizes = p.add_argument_group("sizes (defaults: the full run, or --quick's)")
    sizes.add_argument("--max-train", type=int, help="training examples per task, 0 = all (a seeded sample)")
    sizes.add_argument("--max-eval", type=int, help="eval examples per task, 0 = all")
    sizes.add_argument("--max-pretrain-texts", type=int, help="reviews in the pretraining corpus, 0 = all")
    sizes.add_argument("--vocab-size", type=int, help="WordPiece vocabulary size")
    sizes.add_argument("--seq-len", type=int, help="tokens per example (pretraining and fine-tuning)")
    sizes.add_argument("--batch-size", type=int)
    for name in ARCHITECTURE:
        sizes.add_argument(f"--{name.replace('_', '-')}", type=ARCHITECTURE_TYPES.get(name, int), dest=name,
                           choices=SHARING_MODES if name == "sharing" else None)
    sizes.add_argument("--pretrain-steps", type=int)
    sizes.add_argument("--pretrain-lr", type=float, help="AdamW peak learning rate (pretraining)")
    sizes.add_argument("--pretrain-end-lr", type=float, help="the rate at the last pretraining step (linear decay)")
    sizes.add_argument("--masking-rate", type=float, help="fraction of the tokens masked in pretraining")
    sizes.add_argument("--max-ngram", type=int, help="the longest masked n-gram (1: single characters)")
    sizes.add_argument("--finetune-steps", type=int, help="updates per fine-tuning run")
    sizes.add_argument("--finetune-lr", type=float, help="AdamW peak learning rate")
    sizes.add_argument("--crf-iterations", type=int)
    sizes.add_argument("--xla", action=argparse.BooleanOptionalAction, default=None, help="XLA train steps")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.verbose is None:
        args.verbose = 0 if args.quick else 2
    if args.work_dir is None:
        args.work_dir = os.path.join(REPO, "runs", "zh_tasks_quick" if args.quick else "zh_tasks")
    return args


def settings_of(args):
    """What the runs of a work dir depend on (not the tasks, methods or output chosen)."""
    keys = ["quick", "seed", "pretrained", "data_dir", *FULL]
    return {k: getattr(args, k) for k in keys}


def open_work_dir(args):
    """Makes the work dir; one that holds runs of other settings is refused (resuming them would mix)."""
    work = os.path.abspath(args.work_dir)
    if args.fresh and os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    path, settings = os.path.join(work, "settings.json"), settings_of(args)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
        if stored != settings:
            changed = sorted(k for k in set(stored) | set(settings) if stored.get(k) != settings.get(k))
            raise SystemExit(f"zh_tasks: {work} holds runs with other settings ({', '.join(changed)}): give "
                             "--fresh to start over there, or another --work-dir")
    else:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(settings, f, indent=1)
    return work


# === Data ===

@dataclasses.dataclass
class TaskData:
    """One task's split: texts and labels (classification) or (chars, tags) sentences (NER)."""

    train: list
    eval: list

    def sizes(self):
        return len(self.train), len(self.eval)


def _sample(items, n, seed):
    """A seeded sample of `n` items in their original order (all when n is 0 or more than there are)."""
    if not n or n >= len(items):
        return list(items)
    keep = sorted(random.Random(seed).sample(range(len(items)), n))
    return [items[i] for i in keep]


def load_tasks(args):
    """The hash split of every data file the chosen tasks (and pretraining) need.

    Returns:
        `(tasks, corpus)`: task name -> `TaskData` of `(text, label)` pairs
        or `(chars, tags)` sentences; and `{"train": [...], "eval": [...]}`,
        the review texts of both review files by split (pretraining trains
        on the train texts only and reports its MLM accuracy on eval texts).
    """
    def path(name):
        full = os.path.join(args.data_dir, name)
        if not os.path.isfile(full):
            raise SystemExit(f"zh_tasks: {full} not found: give --data-dir (the shared data dir, see its README)")
        return full

    tasks, corpus = {}, {"train": [], "eval": []}
    vocab_here = not args.pretrained and {"scratch", "pretrained"} & set(args.methods)  # trained on the reviews
    if vocab_here or {"sentiment", "topic", "waimai"} & set(args.tasks):
        shopping = splits.split_records(
            table.read_labelled_texts(path(SHOPPING), "review", "label", ("cat",), labels=["0", "1"]),
            lambda r: r.text)
        waimai = splits.split_records(
            table.read_labelled_texts(path(WAIMAI), "review", "label", labels=["0", "1"]), lambda r: r.text)
        for split in splits.SPLITS:
            corpus[split] = [r.text for r in shopping[split] + waimai[split]]
        for name, rows, label in (("sentiment", shopping, lambda r: r.label),
                                  ("topic", shopping, lambda r: r.fields["cat"]),
                                  ("waimai", waimai, lambda r: r.label)):
            if name in args.tasks:
                tasks[name] = TaskData(
                    [(r.text, label(r)) for r in _sample(rows["train"], args.max_train, args.seed)],
                    [(r.text, label(r)) for r in _sample(rows["eval"], args.max_eval, args.seed + 1)])
    if "ner" in args.tasks:
        sentences = splits.split_records(conll.read_conll(path(MSRA)), lambda s: "".join(s[0]))
        tasks["ner"] = TaskData(_sample(sentences["train"], args.max_train, args.seed),
                                _sample(sentences["eval"], args.max_eval, args.seed + 1))
    corpus = {"train": _sample(corpus["train"], args.max_pretrain_texts, args.seed),
              "eval": _sample(corpus["eval"], 2000, args.seed + 1)}
    return tasks, corpus


def chunk_sentence(chars, tags, max_chars):
    """Cuts a sentence into chunks of at most `max_chars`, after the last comma/stop that fits when there is one."""
    chunks, start = [], 0
    while len(chars) - start > max_chars:
        end = start + max_chars
        cut = max((i + 1 for i in range(start, end) if chars[i] in CUT_AFTER), default=end)
        chunks.append((chars[start:cut], tags[start:cut]))
        start = cut
    chunks.append((chars[start:], tags[start:]))
    return chunks


def write_csv(path, pairs):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(pairs)


def write_conll(path, sentences):
    with open(path, "w", encoding="utf-8") as f:
        for chars, tags in sentences:
            f.write("".join(f"{c}\t{t}\n" for c, t in zip(chars, tags, strict=True)) + "\n")


def write_corpus(path, texts, per_document, seed):
    """The pretraining corpus as text: shuffled reviews, one a line, `per_document` to a blank-line block."""
    texts = [" ".join(t.split()) for t in texts]
    random.Random(seed).shuffle(texts)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(0, len(texts), per_document):
            f.write("\n".join(texts[i : i + per_document]) + "\n\n")


# === Results ===

class Results:
    """The rows of WORK/results.jsonl; `add` appends one as soon as it is known."""

    def __init__(self, path, settings):
        self.path, self.settings, self.rows = path, settings, {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    row = json.loads(line)
                    self.rows[(row["task"], row["method"])] = row

    def get(self, task, method):
        return self.rows.get((task, method))

    def add(self, task, method, row):
        row = dict(row, task=task, method=method, settings=self.settings)
        self.rows[(task, method)] = row
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        shown = {k: v for k, v in row.items() if k not in ("settings", "task", "method")}
        print(f"[zh_tasks] {task} / {method}: {json.dumps(shown, ensure_ascii=False)}", flush=True)
        return row


def timed(results, task, method, fn):
    """`fn()` -> dict of figures, run unless stored; stored with its wall seconds."""
    stored = results.get(task, method)
    if stored is not None:
        print(f"[zh_tasks] {task} / {method}: stored in {results.path} ({stored['seconds']:.0f} s), skipped")
        return stored
    print(f"[zh_tasks] {task} / {method} ...", flush=True)
    start = time.time()
    figures = fn()
    return results.add(task, method, dict(figures, seconds=round(time.time() - start, 1)))


# === Runs ===

def run_baseline(name, data, args):
    if name == "ner":
        scores = baselines.crf_entity_scores(data.train, data.eval, max_iterations=args.crf_iterations)
        return {"metric": "entity_f1", "value": scores["entity_f1"], "details": scores}
    train_texts, train_labels = zip(*data.train, strict=True)
    eval_texts, eval_labels = zip(*data.eval, strict=True)
    majority = baselines.majority_accuracy(train_texts, train_labels, eval_texts, eval_labels)
    value = baselines.tfidf_lr_accuracy(train_texts, train_labels, eval_texts, eval_labels)
    return {"metric": "accuracy", "value": value, "details": {"majority_accuracy": majority}}


def architecture(args):
    """The backbone overrides of the from-scratch model (the pretrained model's when `--pretrained`)."""
    if args.pretrained:
        from albert_keras.model_dir import backbone_config, read_config

        config = backbone_config(read_config(args.pretrained))
        return {k: v for k, v in config.items() if k not in ("vocabulary_size", "dtype")}
    return {name: getattr(args, name) for name in ARCHITECTURE} | {"max_sequence_length": max(128, args.seq_len)}


def prepare_vocab(args, work, corpus, texts):
    """The WordPiece vocabulary of the pretraining corpus (`albert vocab --kind wordpiece`)."""
    from albert_keras import cli

    vocab_dir = os.path.join(work, "vocab")
    code = cli.main(["vocab", "--kind", "wordpiece", "--input", corpus, "--format", "text",
                     "--vocab-size", str(args.vocab_size), "--lowercase", "--output", vocab_dir])
    if code:
        raise SystemExit(f"zh_tasks: albert vocab failed (exit {code})")
    return {"vocab_dir": vocab_dir, "texts": texts}


def run_pretrain(args, work, vocab_dir, corpus, eval_corpus):
    """MLM + SOP on the train-split reviews (`run_pretraining`); resumes from its checkpoints."""
    from albert_keras.training.pretrain import run_pretraining

    steps = args.pretrain_steps
    loop = next(n for n in (100, 50, 20, 10, 5, 2, 1) if steps % n == 0 and n <= steps)
    config = {
        "model": {"init": "albert_tiny", "overrides": architecture(args)},
        "data": {"source": "text", "train_files": [corpus], "eval_files": [eval_corpus], "format": "text",
                 "spm": vocab_dir, "sequence_length": args.seq_len,
                 "max_predictions": max(2, round(args.seq_len * args.masking_rate) + 1),
                 "masking_probability": args.masking_rate, "max_ngram": args.max_ngram, "dynamic_masking": True},
        # AdamW: at batch 32, LAMB and higher rates stalled at the unigram answer (docs/pipeline.md).
        "optimizer": {"name": "adamw", "learning_rate": args.pretrain_lr, "warmup_steps": max(1, steps // 20),
                      "end_learning_rate": args.pretrain_end_lr, "weight_decay": 0.01, "global_clipnorm": 1.0},
        "training": {"run_dir": os.path.join(work, "pretrain"), "global_batch_size": args.batch_size,
                     "train_steps": steps, "steps_per_loop": loop, "checkpoint_every": loop * max(1, 500 // loop),
                     "jit_compile": args.xla, "seed": args.seed, "verbose": args.verbose, "eval_steps": 50},
        "distribution": {"strategy": "default"},
    }
    result = run_pretraining(config, fresh=args.fresh)
    ev = result.metrics.get("eval", {})
    return {"metric": "mlm_accuracy", "value": ev.get("mlm_accuracy"), "model_dir": result.model_dir,
            "details": {k: v for k, v in ev.items() if isinstance(v, (int, float))}, "steps": result.final_step}


def finetune_config(task, init, overrides, vocab, train_file, eval_file, labels, run_dir, args):
    steps = args.finetune_steps
    loop = next(n for n in (100, 50, 20, 10, 5, 2, 1) if steps % n == 0 and n <= steps)
    return {
        "task": {"name": task, "dropout": 0.1},
        "model": {"init": init, "overrides": overrides},
        "data": {"train_file": train_file, "eval_file": eval_file, "spm": vocab,
                 "sequence_length": args.seq_len, "labels": labels},
        "optimizer": {"name": "adamw", "learning_rate": args.finetune_lr, "warmup_steps": max(1, steps // 10),
                      "weight_decay": 0.01},
        "training": {"run_dir": run_dir, "global_batch_size": args.batch_size, "train_steps": steps,
                     "steps_per_loop": loop, "checkpoint_every": 0, "jit_compile": args.xla, "seed": args.seed,
                     "verbose": args.verbose},
        "distribution": {"strategy": "default"},
    }


def run_classifier(name, data, method, init, overrides, vocab, work, args):
    """Fine-tunes `AlbertClassifier` (`run_finetuning`) and returns its eval accuracy."""
    from albert_keras.training.finetune import run_finetuning

    run_dir = os.path.join(work, f"{name}_{method}")
    data_dir = os.path.join(work, "data", name)
    os.makedirs(data_dir, exist_ok=True)
    train_file, eval_file = os.path.join(data_dir, "train.csv"), os.path.join(data_dir, "eval.csv")
    write_csv(train_file, data.train)
    write_csv(eval_file, data.eval)
    labels = sorted({label for _, label in data.train})
    config = finetune_config("classification", init, overrides, vocab, train_file, eval_file, labels, run_dir, args)
    result = run_finetuning(config, fresh=True)
    ev = result.metrics["eval"]
    return {"metric": "accuracy", "value": ev["accuracy"], "details": ev, "steps": result.final_step}


def run_tagger(data, method, init, overrides, vocab, work, args):
    """Fine-tunes `AlbertTokenClassifier` on sentence chunks; entity F1 on the whole eval sentences."""
    import numpy as np

    from albert_keras.model_dir import load_model_dir
    from albert_keras.tokenizer import loading
    from albert_keras.training.finetune import run_finetuning
    from albert_keras.training.metrics import entity_scores

    run_dir = os.path.join(work, f"ner_{method}")
    data_dir = os.path.join(work, "data", "ner")
    os.makedirs(data_dir, exist_ok=True)
    max_chars = args.seq_len - 2
    train_chunks = [c for chars, tags in data.train for c in chunk_sentence(chars, tags, max_chars)]
    eval_chunks, owners = [], []
    for row, (chars, tags) in enumerate(data.eval):
        for chunk in chunk_sentence(chars, tags, max_chars):
            eval_chunks.append(chunk)
            owners.append(row)
    train_file, eval_file = os.path.join(data_dir, "train.conll"), os.path.join(data_dir, "eval.conll")
    write_conll(train_file, train_chunks)
    write_conll(eval_file, eval_chunks)
    tags = ["O"] + sorted({t for _, ts in data.train for t in ts} - {"O"})
    config = finetune_config("token_classification", init, overrides, vocab, train_file, eval_file, tags, run_dir,
                             args)
    result = run_finetuning(config, fresh=True)

    encoder = loading.load_encoder(vocab)
    x, y, _ = conll.encode_conll(eval_file, encoder, args.seq_len, tags)
    logits = load_model_dir(result.model_dir).predict(x, batch_size=128, verbose=0)
    predicted = [[] for _ in data.eval]
    for chunk, (row, (chars, _)) in enumerate(zip(owners, eval_chunks, strict=True)):
        ids = np.argmax(logits[chunk], -1)[y[chunk] >= 0]  # the first piece of each character
        chunk_tags = [tags[i] for i in ids] + ["O"] * (len(chars) - len(ids))  # a cut-off character: O
        predicted[row].extend(chunk_tags)
    scores = entity_scores([list(t) for _, t in data.eval], predicted)
    unknown = int((x["token_ids"] == encoder.special_ids.unk).sum())
    scored = int((y >= 0).sum())
    # run_finetuning's own figure, per chunk: close to the whole-sentence one (a check of the joining).
    details = dict(scores, chunk_entity_f1=result.metrics["eval"]["entity_f1"], train_chunks=len(train_chunks),
                   eval_chunks=len(eval_chunks), unk_fraction=round(unknown / max(1, scored), 4))
    return {"metric": "entity_f1", "value": scores["entity_f1"], "details": details, "steps": result.final_step}


# === Report ===

def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    import tensorflow as tf

    return (f"{cpu}, {cores} cores available to the process; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}, TensorFlow {tf.__version__}")


def _figure(row):
    if row is None or row.get("value") is None:
        return "—"
    return f"{row['value']:.4f}"


def report(results, sizes, args, total_seconds):
    """The markdown report: the results table, the wall times, the machine and the command."""
    lines = ["| task | metric | baseline | from scratch | from pretrained | examples train/eval |",
             "|---|---|---|---|---|---|"]
    for name in args.tasks:
        base = results.get(name, "baseline")
        metric = "entity F1" if name == "ner" else "accuracy"
        baseline = _figure(base)
        if base is not None and name != "ner":
            baseline = f"{baseline} (TF-IDF+LR; majority {base['details']['majority_accuracy']:.4f})"
        elif base is not None:
            baseline = f"{baseline} (CRF)"
        train, evaluation = sizes[name]
        unit = " sentences" if name == "ner" else ""
        lines.append(f"| {TITLES[name]} | {metric} | {baseline} | {_figure(results.get(name, 'scratch'))} | "
                     f"{_figure(results.get(name, 'pretrained'))} | {train:,}/{evaluation:,}{unit} |")
    pre = results.get("pretrain", "pretrain")
    lines += ["", "| part | wall time |", "|---|---|"]
    for (task, method), row in results.rows.items():
        if task in args.tasks or task in ("pretrain", "vocab"):
            lines.append(f"| {task} / {method} | {row['seconds']:.0f} s |")
    lines.append(f"| whole run (this invocation) | {total_seconds:.0f} s |")
    lines.append("")
    if pre is not None and pre.get("value") is not None:
        constant = pre["details"].get("best_constant_accuracy")
        beside = f" (the best constant answer: {constant:.4f})" if constant is not None else ""
        lines.append(f"Pretraining: {pre['steps']} steps, held-out MLM accuracy {pre['value']:.4f}{beside}.")
    architecture_text = ", ".join(f"{k}={v}" for k, v in architecture(args).items())
    lines += [
        f"Model: {architecture_text}; vocabulary {'of ' + args.pretrained if args.pretrained else args.vocab_size}; "
        f"T={args.seq_len}, batch {args.batch_size}; {args.finetune_steps} fine-tuning steps "
        f"(AdamW {args.finetune_lr}); "
        + (f"pretrained model {args.pretrained}." if args.pretrained else
           f"{args.pretrain_steps} pretraining steps (AdamW {args.pretrain_lr} decaying to {args.pretrain_end_lr}; "
           f"{args.masking_rate:.0%} masked, n-grams up to {args.max_ngram})."),
        f"Machine: {machine()}.",
        f"Command: `python bench/zh_tasks.py {shlex.join(sys.argv[1:])}`",
    ]
    return "\n".join(lines) + "\n"


def write_output(path, text, results, args):
    if path.endswith(".json"):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"command": ["bench/zh_tasks.py", *sys.argv[1:]], "machine": machine(),
                       "settings": settings_of(args), "results": list(results.rows.values())},
                      f, ensure_ascii=False, indent=1)
        return
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    block = f"{BEGIN}\n{text}{END}"
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = old + ("\n" if old else "") + block + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)


def main(argv=None):
    args = parse_args(argv)
    start = time.time()
    work = open_work_dir(args)
    results = Results(os.path.join(work, "results.jsonl"), settings_of(args))

    t = time.time()
    tasks, corpus_texts = load_tasks(args)
    sizes = {name: data.sizes() for name, data in tasks.items()}
    print(f"[zh_tasks] data read and split in {time.time() - t:.1f} s: "
          + ", ".join(f"{n} {a}/{b}" for n, (a, b) in sizes.items()), flush=True)

    neural = [m for m in ("scratch", "pretrained") if m in args.methods]
    vocab = init = None
    if neural:
        if args.pretrained:
            vocab = init = os.path.abspath(args.pretrained)
        else:
            corpus_dir = os.path.join(work, "corpus")
            os.makedirs(corpus_dir, exist_ok=True)
            corpus, eval_corpus = os.path.join(corpus_dir, "train.txt"), os.path.join(corpus_dir, "eval.txt")
            write_corpus(corpus, corpus_texts["train"], 8, args.seed)
            write_corpus(eval_corpus, corpus_texts["eval"], 8, args.seed)
            vocab = timed(results, "vocab", "wordpiece", functools.partial(
                prepare_vocab, args, work, corpus, len(corpus_texts["train"])))["vocab_dir"]
            if "pretrained" in neural:
                init = timed(results, "pretrain", "pretrain", functools.partial(
                    run_pretrain, args, work, vocab, corpus, eval_corpus))["model_dir"]

    for name in args.tasks:
        data = tasks[name]
        if "baseline" in args.methods:
            timed(results, name, "baseline", functools.partial(run_baseline, name, data, args))
        for method in neural:
            model_init, overrides = (init, {}) if method == "pretrained" else ("albert_tiny", architecture(args))
            if name == "ner":
                fn = functools.partial(run_tagger, data, method, model_init, overrides, vocab, work, args)
            else:
                fn = functools.partial(run_classifier, name, data, method, model_init, overrides, vocab, work, args)
            timed(results, name, method, fn)

    text = report(results, sizes, args, time.time() - start)
    print("\n" + text)
    if args.output:
        write_output(args.output, text, results, args)
        print(f"[zh_tasks] wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
