"""Fine-tuning throughput: ours (length-bucketed batches) against KerasHub's `AlbertTextClassifier`.

Both sides fine-tune a small ALBERT from scratch on the food-delivery
sentiment task (`zh_reviews/waimai_10k.csv` of ``../shared/data``, the md5
split of `albert_keras.data.splits`: eval = 1 bucket of 10), in ONE process,
interleaved: `--eval-every` steps of ours, the same of KerasHub, then both
are evaluated, and so on, so load from other processes hits both alike.

The same on both sides:

* one SentencePiece vocabulary trained on the train split
  (`train_sentencepiece`, no lowercasing or accent stripping, so KerasHub's
  `AlbertTokenizer(proto=...)`, which does neither, gives the same ids; the
  run prints how many eval texts get identical ids);
* the backbone config (all layers sharing one group), T, batch, AdamW with
  the same warmup + linear decay (`build_optimizer`), dropout 0 in the
  backbone and 0.1 before the head, the number of steps, XLA on or off; the
  initial weights too (ours are copied into KerasHub's backbone and head);
* the data order before batching (one shuffle seed over the raw texts);
* the loop: `train_on_batch` per batch, timed from fetching the batch to the
  step's returned loss, and evaluation every `--eval-every` steps on the whole
  eval split (tokenized once by each side's preprocessor, sorted by length,
  each batch cut to its longest row rounded up to 8: padding is masked, so the
  logits are those of the padded batch; eval time is not counted).

What differs is each side's own input pipeline:

* **ours**: raw text -> `AlbertPreprocessor` (tokenize + pack to T, batches of
  256 in `tf.data`) -> `bucketing.bucket_batches` with the boundaries that
  `albert finetune` uses (`resolve_bucketing("auto", ...)`: length quartiles
  rounded up to 8) -> `AlbertClassifier`;
* **KerasHub**: raw text, batched -> `AlbertTextClassifierPreprocessor`
  (tokenize + pack, every batch padded to T; the map KerasHub's `fit`
  applies) -> `AlbertTextClassifier`.

Figures: steady-state examples/s (all steps but the first of each batch
shape, the ones that trace or compile; those are reported apart),
examples/s over all steps, the train time (steps only, evaluation excluded)
until the eval accuracy first reaches `--target`, and the final accuracy.

    .venv/bin/python bench/finetune_throughput.py            # ~4 min on 2 CPU cores
    .venv/bin/python bench/finetune_throughput.py --quick    # < 1 min: does it run?

It prints a markdown table, the machine and the exact command
(`--output FILE.json` also writes them as JSON). It measures; it asserts nothing.
"""

import argparse
import json
import os
import shlex
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# As bench/zh_tasks.py: import from the repo root, not bench/ (bench/serving.py would shadow `serving`).
_SHADOWING = (REPO, os.path.join(REPO, "bench"))
sys.path[:] = [REPO] + [p for p in sys.path if os.path.abspath(p or os.curdir) not in _SHADOWING]
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from albert_keras.data import splits  # noqa: E402
from albert_keras.data.readers import table  # noqa: E402
from bench.zh_tasks import WAIMAI, _sample, default_data_dir, machine  # noqa: E402

SIDES = ("ours", "keras_hub")
TITLES = {"ours": "ours (bucketed)", "keras_hub": "KerasHub (padded to T)"}
EVAL_BATCH = 64
MULTIPLE = 8  # eval batches are cut to a multiple of this

# The default run (2 CPU cores, ~4 min) and --quick (< 1 min); a flag given overrides either.
# The full run's model is bench/zh_tasks.py's (H=256, I=1024 would take ~2.5x as long: KerasHub ~1.2 s a step).
FULL = {"max_train": 0, "max_eval": 0, "vocab_size": 8000, "seq_len": 128, "batch_size": 32, "num_layers": 4,
        "hidden_dim": 128, "embedding_dim": 64, "intermediate_dim": 512, "num_heads": 4, "steps": 200,
        "eval_every": 20, "learning_rate": 0.001, "target": 0.80}
QUICK = {"max_train": 2000, "max_eval": 200, "vocab_size": 2000, "seq_len": 64, "batch_size": 16, "num_layers": 2,
         "hidden_dim": 64, "embedding_dim": 32, "intermediate_dim": 128, "num_heads": 2, "steps": 20,
         "eval_every": 10, "learning_rate": 0.002, "target": 0.65}
ARCHITECTURE = ("num_layers", "hidden_dim", "embedding_dim", "intermediate_dim", "num_heads")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=default_data_dir(),
                   help="the shared data dir (default: ../shared/data from the repo, else shared/data in it)")
    p.add_argument("--output", default=None, metavar="FILE.json", help="also write the figures as JSON")
    p.add_argument("--quick", action="store_true", help="a tiny model, subsets and 20 steps (< 1 min)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--xla", action=argparse.BooleanOptionalAction, default=False,
                   help="compile both train steps with XLA (default off: Keras' own default on CPU)")
    sizes = p.add_argument_group("sizes (defaults: the full run, or --quick's)")
    sizes.add_argument("--max-train", type=int, help="training examples, 0 = all (a seeded sample)")
    sizes.add_argument("--max-eval", type=int, help="eval examples, 0 = all")
    sizes.add_argument("--vocab-size", type=int, help="SentencePiece pieces")
    sizes.add_argument("--seq-len", type=int, help="T: KerasHub pads every batch to it; ours cuts to a bucket")
    sizes.add_argument("--batch-size", type=int)
    for name in ARCHITECTURE:
        sizes.add_argument(f"--{name.replace('_', '-')}", type=int, dest=name)
    sizes.add_argument("--steps", type=int, help="updates per side")
    sizes.add_argument("--eval-every", type=int, help="evaluate both sides every N steps")
    sizes.add_argument("--learning-rate", type=float, help="AdamW peak (warmup 10%% of the steps, linear decay)")
    sizes.add_argument("--target", type=float, help="the eval accuracy whose time to reach is measured")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for key in ("steps", "eval_every", "batch_size", "vocab_size", *ARCHITECTURE):
        if getattr(args, key) < 1:
            p.error(f"`--{key.replace('_', '-')}` must be >= 1. Received: {getattr(args, key)}")
    if args.seq_len < 8:
        p.error(f"`--seq-len` must be >= 8. Received: {args.seq_len}")
    return args


# === Data ===

def load_split(args):
    """`{"train": [(text, label int)], "eval": [...]}`: the md5 split of waimai_10k.csv."""
    path = os.path.join(args.data_dir, WAIMAI)
    if not os.path.isfile(path):
        raise SystemExit(f"finetune_throughput: {path} not found: give --data-dir (the shared data dir, "
                         "which holds zh_reviews/waimai_10k.csv; see its README)")
    rows = splits.split_records(
        table.read_labelled_texts(path, "review", "label", labels=["0", "1"]), lambda r: r.text)
    return {"train": [(r.text, int(r.label)) for r in _sample(rows["train"], args.max_train, args.seed)],
            "eval": [(r.text, int(r.label)) for r in _sample(rows["eval"], args.max_eval, args.seed + 1)]}


def eval_batches(x, labels, batch_size=EVAL_BATCH, multiple=MULTIPLE):
    """Eval inputs sorted by length, in batches cut to their longest row (rounded up to `multiple`).

    Args:
        x: dict of `[N, T]` arrays with `padding_mask`.
        labels: `[N]` int labels.
        batch_size: rows per batch.
        multiple: each batch's width is its longest row rounded up to this (at most T).

    Returns:
        A list of `(inputs, labels)` with inputs `[b, w]` int32, covering every row once.
    """
    import numpy as np

    mask = np.asarray(x["padding_mask"]).astype("int32")
    total = mask.shape[1]
    lengths = mask.sum(axis=1)
    order = np.argsort(lengths, kind="stable")
    out = []
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = min(total, int(-(-max(1, lengths[rows].max()) // multiple) * multiple))
        out.append(({k: np.asarray(v)[rows, :width].astype("int32") for k, v in x.items()},
                    np.asarray(labels)[rows]))
    return out


# === The two sides ===

def tokenize_all(preprocessor, texts, batch_size=512):
    """Runs a preprocessor over texts in `tf.data` batches.

    Returns:
        A dict of int32 numpy `[N, T]` arrays: token_ids, segment_ids, padding_mask.
    """
    import numpy as np
    import tensorflow as tf

    def run(t):
        out = preprocessor(t)
        out = out[0] if isinstance(out, tuple) else out
        return {k: tf.cast(out[k], tf.int32) for k in ("token_ids", "segment_ids", "padding_mask")}

    parts = list(tf.data.Dataset.from_tensor_slices(list(texts)).batch(batch_size).map(run).as_numpy_iterator())
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def build_sides(args, vocab_dir, proto, data):
    """Both models (same initial weights), their train datasets and eval batches.

    Returns:
        `(sides, info)`: name -> dict(model, dataset, eval), and what the run
        learned about the data (boundaries, lengths, id agreement).
    """
    import keras
    import keras_hub
    import numpy as np
    import tensorflow as tf

    from albert_keras.config import OptimizerConfig
    from albert_keras.data import bucketing
    from albert_keras.models.backbone import AlbertBackbone
    from albert_keras.preprocessing.preprocessor import AlbertPreprocessor
    from albert_keras.tasks import AlbertClassifier
    from albert_keras.training.optimizer import build_optimizer
    from bench.encoder import copy_ours_to_keras_hub

    T, B = args.seq_len, args.batch_size
    train_texts = [t for t, _ in data["train"]]
    train_labels = np.asarray([y for _, y in data["train"]], "int32")
    eval_texts = [t for t, _ in data["eval"]]
    eval_labels = np.asarray([y for _, y in data["eval"]], "int32")

    # Seeded first: setting the seed clears TF's kernel cache, which drops the SentencePiece ops' resources
    # that the tokenizers below create on first use (the datasets would then fail with NotFoundError).
    keras.utils.set_random_seed(args.seed)
    ours_pre = AlbertPreprocessor.from_vocab_dir(vocab_dir, sequence_length=T)
    kh_tokenizer = keras_hub.models.AlbertTokenizer(proto=proto)
    kh_pre = keras_hub.models.AlbertTextClassifierPreprocessor(tokenizer=kh_tokenizer, sequence_length=T)

    train_ours = tokenize_all(ours_pre, train_texts)
    lengths = train_ours["padding_mask"].sum(axis=1)
    boundaries = bucketing.resolve_bucketing("auto", [], lengths.tolist(), T)
    eval_x = {"ours": tokenize_all(ours_pre, eval_texts), "keras_hub": tokenize_all(kh_pre, eval_texts)}
    same_ids = int((eval_x["ours"]["token_ids"] == eval_x["keras_hub"]["token_ids"]).all(axis=1).sum())
    info = {"boundaries": boundaries, "mean_length": float(lengths.mean()),
            "truncated": int((lengths >= T).sum()), "train_examples": len(train_texts),
            "eval_examples": len(eval_texts), "eval_same_ids": same_ids,
            "vocabulary_size": kh_tokenizer.vocabulary_size()}

    def raw(seed):
        ds = tf.data.Dataset.from_tensor_slices((train_texts, train_labels))
        return ds.shuffle(len(train_texts), seed=seed, reshuffle_each_iteration=True).repeat()

    def ours_features(texts, labels):
        return ours_pre(texts), labels

    ours_ds = raw(args.seed).batch(256).map(ours_features, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
    if boundaries:
        ours_ds = bucketing.bucket_batches(ours_ds, B, boundaries)
    else:  # `auto` found the texts long enough to fill T: plain batches (the run says so)
        ours_ds = ours_ds.batch(B, drop_remainder=True)
    ours_ds = ours_ds.prefetch(tf.data.AUTOTUNE)
    kh_ds = raw(args.seed).batch(B, drop_remainder=True).map(
        lambda texts, labels: kh_pre(texts, labels), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    backbone_args = dict(vocabulary_size=info["vocabulary_size"], num_layers=args.num_layers,
                         num_heads=args.num_heads, embedding_dim=args.embedding_dim, hidden_dim=args.hidden_dim,
                         intermediate_dim=args.intermediate_dim, num_groups=1, num_inner_repetitions=1,
                         max_sequence_length=T, num_segments=2, dropout=0.0)
    ours = AlbertClassifier(AlbertBackbone(**backbone_args, attention_dropout=0.0), 2, dropout=0.1,
                            class_labels=["0", "1"])
    kh = keras_hub.models.AlbertTextClassifier(keras_hub.models.AlbertBackbone(**backbone_args), num_classes=2,
                                               preprocessor=None, dropout=0.1)
    copy_ours_to_keras_hub(ours.backbone, kh.backbone)
    kh.output_dense.set_weights(ours.output_dense.get_weights())

    opt = OptimizerConfig(name="adamw", learning_rate=args.learning_rate, warmup_steps=max(1, args.steps // 10),
                          weight_decay=0.01)
    for model in (ours, kh):
        model.compile(optimizer=build_optimizer(opt, args.steps),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")], jit_compile=args.xla)
    sides = {
        "ours": {"model": ours, "dataset": ours_ds, "eval": eval_batches(eval_x["ours"], eval_labels)},
        "keras_hub": {"model": kh, "dataset": kh_ds, "eval": eval_batches(eval_x["keras_hub"], eval_labels)},
    }
    info["parameters"] = {"ours": ours.count_params(), "keras_hub": kh.count_params()}
    info["keras_hub_version"] = keras_hub.__version__
    return sides, info


# === Measuring ===

class Run:
    """One side's record: per-step seconds and widths, eval points."""

    def __init__(self, name, side):
        self.name = name
        self.model = side["model"]
        self.iterator = iter(side["dataset"])
        self.eval = side["eval"]
        self.steps, self.widths, self.losses, self.evals = [], [], [], []
        self.eval_seconds = 0.0
        import tensorflow as tf

        model = self.model
        self._logits = tf.function(lambda x: model(x, training=False), reduce_retracing=True)

    def train(self, n):
        """`n` steps; each timed from fetching the batch to the returned (numpy) loss."""
        for _ in range(n):
            start = time.perf_counter()
            x, y = next(self.iterator)
            logs = self.model.train_on_batch(x, y, return_dict=True)
            self.steps.append(time.perf_counter() - start)
            self.widths.append(int(x["token_ids"].shape[1]))
            self.losses.append(float(logs["loss"]))

    def evaluate(self):
        import numpy as np

        start = time.perf_counter()
        correct = total = 0
        for x, y in self.eval:
            logits = np.asarray(self._logits(x))
            correct += int((logits.argmax(axis=-1) == y).sum())
            total += len(y)
        self.eval_seconds += time.perf_counter() - start
        accuracy = correct / total
        self.evals.append({"step": len(self.steps), "train_seconds": round(sum(self.steps), 2),
                           "accuracy": round(accuracy, 4)})
        return accuracy

    def figures(self, batch_size, target):
        """The measured figures of this side."""
        import numpy as np

        first_of_shape, seen = [], set()
        for i, w in enumerate(self.widths):
            if w not in seen:
                seen.add(w)
                first_of_shape.append(i)
        steady = [s for i, s in enumerate(self.steps) if i not in first_of_shape]
        reached = next((e for e in self.evals if e["accuracy"] >= target), None)
        counts = {w: self.widths.count(w) for w in sorted(seen)}
        return {
            "steps": len(self.steps),
            "steady_examples_per_second": round(batch_size * len(steady) / sum(steady), 1) if steady else None,
            "examples_per_second_all_steps": round(batch_size * len(self.steps) / sum(self.steps), 1),
            "median_step_seconds": round(float(np.median(self.steps)), 4),
            "first_step_seconds": round(self.steps[0], 2),
            "other_first_of_shape_seconds": round(sum(self.steps[i] for i in first_of_shape[1:]), 2),
            "train_seconds": round(sum(self.steps), 2),
            "batch_widths": counts,
            "mean_batch_width": round(float(np.mean(self.widths)), 1),
            "time_to_target_seconds": reached["train_seconds"] if reached else None,
            "step_to_target": reached["step"] if reached else None,
            "final_accuracy": self.evals[-1]["accuracy"],
            "final_train_loss": round(float(np.mean(self.losses[-10:])), 4),
            "eval_seconds": round(self.eval_seconds, 1),
            "evals": self.evals,
        }


def train_vocab(args, texts, directory):
    """The shared SentencePiece model (bytes), also written as a vocab dir for ours."""
    from albert_keras.tokenizer import vocab

    proto = vocab.train_sentencepiece(texts, args.vocab_size, lowercase=False, strip_accents=False, seed=args.seed)
    vocab.write_vocab_dir(directory, proto, {"lowercase": False, "strip_accents": False, "seed": args.seed})
    return proto


def measure(args):
    data = load_split(args)
    print(f"[finetune_throughput] waimai: {len(data['train'])} train / {len(data['eval'])} eval", flush=True)
    with tempfile.TemporaryDirectory(prefix="ft_bench_") as tmp:
        start = time.perf_counter()
        proto = train_vocab(args, [t for t, _ in data["train"]], tmp)
        vocab_seconds = time.perf_counter() - start
        sides, info = build_sides(args, tmp, proto, data)
    info["setup_seconds"] = round(time.perf_counter() - start, 1)
    info["vocab_seconds"] = round(vocab_seconds, 1)
    print(f"[finetune_throughput] vocabulary {info['vocabulary_size']} pieces ({vocab_seconds:.0f} s); ours' buckets "
          f"{info['boundaries']} (mean length {info['mean_length']:.1f} of T={args.seq_len}); identical ids on "
          f"{info['eval_same_ids']}/{info['eval_examples']} eval texts", flush=True)
    runs = {name: Run(name, sides[name]) for name in SIDES}
    done = 0
    while done < args.steps:
        n = min(args.eval_every, args.steps - done)
        for name in SIDES:
            runs[name].train(n)
        done += n
        shown = []
        for name in SIDES:
            accuracy = runs[name].evaluate()
            shown.append(f"{name} acc {accuracy:.4f} ({sum(runs[name].steps):.1f} s)")
        print(f"[finetune_throughput] step {done}: " + ", ".join(shown), flush=True)
    return {name: runs[name].figures(args.batch_size, args.target) for name in SIDES}, info


# === Report ===

def _fmt(value, spec="{:,.1f}", none="not reached"):
    return none if value is None else spec.format(value)


def _ratio(a, b):
    return None if not a or not b else a / b


def report(figures, info, args, load_before, load_after, total_seconds):
    ours, kh = figures["ours"], figures["keras_hub"]
    speed = _ratio(ours["steady_examples_per_second"], kh["steady_examples_per_second"])
    overall = _ratio(ours["examples_per_second_all_steps"], kh["examples_per_second_all_steps"])
    to_target = _ratio(kh["time_to_target_seconds"], ours["time_to_target_seconds"])

    def widths(f):
        return ", ".join(f"{w}×{n}" for w, n in f["batch_widths"].items())

    rows = [
        ("steady-state examples/s (all steps but the first of each batch shape)",
         _fmt(ours["steady_examples_per_second"]), _fmt(kh["steady_examples_per_second"]), _fmt(speed, "**{:.2f}×**")),
        ("examples/s over all steps (traces/compiles included)", _fmt(ours["examples_per_second_all_steps"]),
         _fmt(kh["examples_per_second_all_steps"]), _fmt(overall, "{:.2f}×")),
        ("median step, s", _fmt(ours["median_step_seconds"], "{:.3f}"), _fmt(kh["median_step_seconds"], "{:.3f}"), ""),
        ("first step (trace/compile), s", _fmt(ours["first_step_seconds"], "{:.2f}"),
         _fmt(kh["first_step_seconds"], "{:.2f}"), ""),
        ("first step of each other batch shape, s", _fmt(ours["other_first_of_shape_seconds"], "{:.2f}"),
         _fmt(kh["other_first_of_shape_seconds"], "{:.2f}"), ""),
        ("batch widths (tokens × steps)", widths(ours), widths(kh), ""),
        (f"train time to eval accuracy ≥ {args.target:.2f}, s (step)",
         _fmt(ours["time_to_target_seconds"]) + (f" ({ours['step_to_target']})" if ours["step_to_target"] else ""),
         _fmt(kh["time_to_target_seconds"]) + (f" ({kh['step_to_target']})" if kh["step_to_target"] else ""),
         _fmt(to_target, "{:.2f}× faster", "—")),
        (f"eval accuracy after {ours['steps']} steps", f"{ours['final_accuracy']:.4f}",
         f"{kh['final_accuracy']:.4f}", ""),
        ("train loss (mean of the last 10 steps)", f"{ours['final_train_loss']:.4f}",
         f"{kh['final_train_loss']:.4f}", ""),
        ("train time, all steps, s", _fmt(ours["train_seconds"]), _fmt(kh["train_seconds"]), ""),
    ]
    lines = [f"| | {TITLES['ours']} | {TITLES['keras_hub']} | ours / KerasHub |", "|---|---:|---:|---:|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += ["", "| step | " + " | ".join(f"{TITLES[s]} acc (train s)" for s in SIDES) + " |",
              "|---:|" + "---:|" * len(SIDES)]
    for i, e in enumerate(ours["evals"]):
        cells = [f"{figures[s]['evals'][i]['accuracy']:.4f} ({figures[s]['evals'][i]['train_seconds']:.1f})"
                 for s in SIDES]
        lines.append(f"| {e['step']} | " + " | ".join(cells) + " |")
    both = ours["time_to_target_seconds"] is not None and kh["time_to_target_seconds"] is not None
    if speed is None:
        goal = "no steady-state figure (too few steps)"
    elif not both:
        goal = (f"{speed:.2f}× KerasHub's steady-state examples/s, but not both reached {args.target:.2f}: "
                "**not judged**")
    else:
        verdict = "**met**" if speed >= 2 else f"**not met** (short by {2 - speed:.2f}×, {100 * (1 - speed / 2):.0f}%)"
        goal = f"{speed:.2f}× KerasHub's steady-state examples/s, both at ≥ {args.target:.2f} accuracy: {verdict}"
    arch = ", ".join(f"{k}={getattr(args, k)}" for k in ARCHITECTURE)
    lines += [
        "",
        f"- Goal (ours ≥ 2× KerasHub's examples/s at the same accuracy): {goal}.",
        f"- Data: waimai_10k, {info['train_examples']:,} train / {info['eval_examples']:,} eval (md5 split); "
        f"mean length {info['mean_length']:.1f} tokens of T={args.seq_len} ({info['truncated']} train texts cut at T); "
        f"ours' buckets {info['boundaries']}; identical token ids on "
        f"{info['eval_same_ids']:,}/{info['eval_examples']:,} eval texts.",
        f"- Model: {arch}, one shared group, vocabulary {info['vocabulary_size']:,}; "
        f"{info['parameters']['ours']:,} parameters (KerasHub {info['parameters']['keras_hub']:,}); same initial "
        f"weights; batch {args.batch_size}, {args.steps} steps, AdamW {args.learning_rate} (warmup "
        f"{max(1, args.steps // 10)}, linear decay, weight decay 0.01), XLA {'on' if args.xla else 'off'} on both; "
        f"seed {args.seed}; KerasHub {info['keras_hub_version']}.",
        f"- Eval every {args.eval_every} steps on the whole eval split (not in the train times): "
        f"ours {ours['eval_seconds']:.0f} s, KerasHub {kh['eval_seconds']:.0f} s. Setup (vocabulary "
        f"{info['vocab_seconds']:.0f} s, tokenizing, building) {info['setup_seconds']:.0f} s; whole run "
        f"{total_seconds:.0f} s.",
        f"- Load average (1/5/15 min) before {load_before}, after {load_after}.",
        f"- Machine: {machine()}.",
        f"- Command: `python bench/finetune_throughput.py {shlex.join(sys.argv[1:])}`".replace(" `", "`"),
    ]
    return "\n".join(lines) + "\n"


def _load():
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None):
    args = parse_args(argv)
    start, load_before = time.time(), _load()
    figures, info = measure(args)
    load_after = _load()
    text = report(figures, info, args, load_before, load_after, time.time() - start)
    print("\n" + text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump({"command": ["bench/finetune_throughput.py", *sys.argv[1:]], "machine": machine(),
                       "settings": {k: v for k, v in vars(args).items() if k != "output"}, "data": info,
                       "load_before": load_before, "load_after": load_after, "results": figures},
                      f, ensure_ascii=False, indent=1)
        print(f"[finetune_throughput] wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
