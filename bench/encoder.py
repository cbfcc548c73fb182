"""Encoder throughput: our AlbertBackbone vs KerasHub vs HF transformers (PyTorch), side by side.

In one run, on the same random inputs and config, times the forward pass and
a full MLM+SOP train step (loss, gradients, AdamW update) of:

- ours: `AlbertBackbone.predict_on_batch` and `AlbertPretrainer.train_on_batch`,
  compiled with `jit_compile=True` (XLA) unless `--no-xla`;
- KerasHub: its `AlbertBackbone` (weights copied from ours, outputs compared),
  and for training the backbone plus KerasHub's `MaskedLMHead` and a Dense SOP
  head, compiled as KerasHub does by default on CPU (no XLA);
  `--keras-hub-xla` adds a KerasHub row compiled with XLA as well;
- HF transformers' PyTorch `AlbertModel` / `AlbertForPreTraining` in a worker
  subprocess of another Python (`--hf-python`, default /tmp/hfvenv/bin/python),
  driven one step at a time so that all implementations are interleaved.

Each round times every implementation once; the reported value is the median
of `--repeats` rounds, in tokens/s (batch × seq_len per step). The achieved
GFLOP/s uses one analytic FLOP count for all (see `model_flops`); it is
compared with a TF 2048² fp32 matmul measured in the same run (and torch's,
in the worker). Prints a table, writes JSON and a PNG bar chart to
`bench/results/`.

    .venv/bin/python bench/encoder.py --preset albert_base_v2 --batch 8 --seq-len 128 --repeats 5
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_HF_PYTHON = "/tmp/hfvenv/bin/python"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="albert_base_v2")
    p.add_argument("--num-layers", type=int, default=0, help="override the preset's layer count (0: keep)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--num-predictions", type=int, default=20, help="masked positions per sequence (train step)")
    p.add_argument("--dtype", default="float32", choices=["float32", "mixed_bfloat16", "mixed_float16"])
    p.add_argument("--xla", dest="xla", action="store_true", default=True, help="compile ours with XLA (default)")
    p.add_argument("--no-xla", dest="xla", action="store_false")
    p.add_argument("--ours-no-xla", action="store_true", help="also time ours without XLA (a lever row)")
    p.add_argument("--keras-hub-xla", action="store_true", help="also time KerasHub compiled with XLA")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--skip-hf", action="store_true")
    p.add_argument("--skip-keras-hub", action="store_true")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--skip-forward", action="store_true")
    p.add_argument("--hf-python", default=DEFAULT_HF_PYTHON, help="a Python with torch and transformers")
    p.add_argument("--intra-op", type=int, default=0, help="TF intra-op threads (0: TF default)")
    p.add_argument("--inter-op", type=int, default=0, help="TF inter-op threads (0: TF default)")
    p.add_argument("--torch-threads", type=int, default=0, help="torch threads (0: torch default)")
    p.add_argument("--onednn", choices=["default", "on", "off"], default="default",
                   help="sets TF_ENABLE_ONEDNN_OPTS before TF is imported")
    p.add_argument("--input-pipeline-seconds", type=float, default=0.0,
                   help="also run bench/input_pipeline.py for this long and compare (0: skip)")
    p.add_argument("--out", default=os.path.join(REPO, "bench", "results"))
    p.add_argument("--tag", default="", help="suffix of the result file names")
    return p.parse_args(argv)


def model_flops(config, batch, seq_len, num_predictions):
    """Analytic FLOPs (2 per multiply-add) of one forward pass and one train step.

    Counts the matmuls: E→H projection, per layer q/k/v/output (4·H²) and the
    FFN (2·H·I) per token, the attention T² terms (QKᵀ and PV, 2·T·H per
    token), the pooler, and for training the MLM head on `num_predictions`
    positions (H→E, E→V) and the SOP head. A train step counts 3× its forward
    (backward ≈ 2× forward). The same count is used for every implementation
    (HF's pretraining head scores all T positions, doing more work than this).
    """
    e, h, i, n_layers, v = (config[k] for k in ("embedding_dim", "hidden_dim", "intermediate_dim", "num_layers",
                                                "vocabulary_size"))
    tokens = batch * seq_len
    per_layer = 2 * (4 * h * h + 2 * h * i) + 2 * 2 * seq_len * h
    encoder = tokens * (2 * e * h + n_layers * per_layer) + batch * 2 * h * h
    heads = batch * num_predictions * (2 * h * e + 2 * e * v) + batch * 2 * h * 2
    return {"forward": float(encoder), "train": float(3 * (encoder + heads))}


def machine_info():
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket", "Socket(s)"):
                info[key.strip()] = value.strip()
        flags = open("/proc/cpuinfo").read()
        info["avx512f"] = " avx512f" in flags
        info["avx512_bf16"] = "avx512_bf16" in flags
        info["amx_bf16"] = "amx_bf16" in flags
    except Exception as e:  # lscpu missing: keep going
        info["lscpu_error"] = str(e)
    return info


def make_inputs(config, batch, seq_len, num_predictions, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab = config["vocabulary_size"]
    token_ids = rng.integers(5, vocab, (batch, seq_len)).astype("int32")
    segment_ids = np.zeros((batch, seq_len), "int32")
    segment_ids[:, seq_len // 2 :] = 1
    padding_mask = np.ones((batch, seq_len), "int32")
    positions = np.stack([np.sort(rng.choice(np.arange(1, seq_len), num_predictions, replace=False))
                          for _ in range(batch)]).astype("int32")
    mlm_ids = rng.integers(5, vocab, (batch, num_predictions)).astype("int32")
    return {
        "token_ids": token_ids,
        "segment_ids": segment_ids,
        "padding_mask": padding_mask,
        "mask_positions": positions,
        "mlm_ids": mlm_ids,
        "mlm_weights": np.ones((batch, num_predictions), "float32"),
        "sop_label": rng.integers(0, 2, (batch,)).astype("int32"),
    }


def copy_ours_to_keras_hub(ours, reference):
    """Copies our backbone's weights into a KerasHub `AlbertBackbone` of the same config (the product's map)."""
    from albert_keras.convert.keras_hub_map import keras_hub_slots

    ref = {w.path: w for w in reference.weights}
    slots = keras_hub_slots(ours)
    unmapped = set(ref) - {s.path for s in slots}
    if unmapped:
        raise ValueError(f"KerasHub weights not mapped: {sorted(unmapped)}")
    for slot in slots:
        ref[slot.path].assign(slot.from_ours(slot.variable.numpy()))


class HFWorker:
    """The PyTorch worker subprocess (bench/hf_torch_worker.py), one request per line."""

    def __init__(self, python, config, inputs_path, threads):
        self.proc = subprocess.Popen(
            [python, os.path.join(REPO, "bench", "hf_torch_worker.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self.info = self.ask({"cmd": "setup", "config": config, "inputs": inputs_path, "threads": threads})
        if not self.info.get("ok"):
            raise RuntimeError(f"HF worker setup failed: {self.info}")

    def ask(self, msg):
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("HF worker exited")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"HF worker: {reply['error']}")
        return reply

    def close(self):
        try:
            self.ask({"cmd": "quit"})
        except Exception:
            pass
        self.proc.wait(timeout=30)


def timed(fn):
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}


def main(argv=None):
    args = parse_args(argv)
    if args.onednn != "default":
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if args.onednn == "on" else "0"
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, REPO)

    import numpy as np
    import tensorflow as tf

    if args.intra_op:
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op)
    if args.inter_op:
        tf.config.threading.set_inter_op_parallelism_threads(args.inter_op)

    import keras

    from albert_keras.models.backbone import AlbertBackbone
    from albert_keras.presets import PRESETS
    from albert_keras.tasks.pretrainer import AlbertPretrainer

    load_before = os.getloadavg()
    config = dict(PRESETS[args.preset]["config"])
    config["dropout"] = 0.0
    config["attention_dropout"] = 0.0
    if args.num_layers:
        config["num_layers"] = args.num_layers
    b, t, p = args.batch, args.seq_len, args.num_predictions
    data = make_inputs(config, b, t, p)
    x_backbone = {k: data[k] for k in ("token_ids", "segment_ids", "padding_mask")}
    x_train = dict(x_backbone, mask_positions=data["mask_positions"])
    y_train = {k: data[k] for k in ("mlm_ids", "mlm_weights", "sop_label")}
    flops = model_flops(config, b, t, p)
    tokens = b * t

    # === Implementations ===
    impls = {}  # name -> {"forward": fn, "train": fn}
    notes = {}
    keras.utils.set_random_seed(0)
    ours = AlbertBackbone(dtype=args.dtype, **config)
    ours.compile(jit_compile=args.xla)
    ours_name = "ours (XLA)" if args.xla else "ours"
    reference_outputs = {}

    def add_keras(name, backbone, train_model, train_x, train_y):
        def forward():
            out = backbone.predict_on_batch(x_backbone)
            float(np.asarray(out["sequence_output"])[0, 0, 0])

        def train():
            logs = train_model.train_on_batch(train_x, train_y, return_dict=True)
            float(logs["loss"])

        impls[name] = {"forward": lambda: timed(forward), "train": lambda: timed(train)}

    def ours_pretrainer(backbone, jit):
        model = AlbertPretrainer(backbone)
        model.compile(optimizer=keras.optimizers.AdamW(1e-4), jit_compile=jit)
        return model

    add_keras(ours_name, ours, ours_pretrainer(ours, args.xla), x_train, y_train)
    if args.ours_no_xla:
        twin = AlbertBackbone(dtype=args.dtype, **config)
        twin.set_weights(ours.get_weights())
        twin.compile(jit_compile=not args.xla)
        add_keras("ours (no XLA)" if args.xla else "ours (XLA)", twin, ours_pretrainer(twin, not args.xla),
                  x_train, y_train)

    if not args.skip_keras_hub:
        import keras_hub

        kh_config = dict(
            vocabulary_size=config["vocabulary_size"], num_layers=config["num_layers"],
            num_heads=config["num_heads"], embedding_dim=config["embedding_dim"],
            hidden_dim=config["hidden_dim"], intermediate_dim=config["intermediate_dim"],
            num_groups=config["num_groups"], num_inner_repetitions=config["num_inner_repetitions"],
            dropout=0.0, max_sequence_length=config["max_sequence_length"],
            num_segments=config["num_segments"], dtype=args.dtype,
        )

        def keras_hub_models(jit):
            backbone = keras_hub.models.AlbertBackbone(**kh_config)
            copy_ours_to_keras_hub(ours, backbone)
            backbone.compile(jit_compile=jit)
            inputs = {k: keras.Input(shape=(None,), dtype="int32", name=k) for k in x_train}
            encoded = backbone({k: inputs[k] for k in x_backbone})
            mlm = keras_hub.layers.MaskedLMHead(
                vocabulary_size=config["vocabulary_size"],
                token_embedding=backbone.token_embedding,
                intermediate_activation=lambda v: keras.activations.gelu(v, approximate=True),
                kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
                dtype=backbone.dtype_policy,
                name="mlm_head",
            )(encoded["sequence_output"], mask_positions=inputs["mask_positions"])
            sop = keras.layers.Dense(2, dtype="float32", name="sop_head")(encoded["pooled_output"])
            model = keras.Model(inputs, {"mlm_logits": mlm, "sop_logits": sop})
            ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
            model.compile(optimizer=keras.optimizers.AdamW(1e-4), loss={"mlm_logits": ce, "sop_logits": ce},
                          jit_compile=jit)
            return backbone, model

        kh_y = {"mlm_logits": data["mlm_ids"], "sop_logits": data["sop_label"]}
        kh_backbone, kh_train = keras_hub_models(False)
        add_keras("KerasHub", kh_backbone, kh_train, x_train, kh_y)
        reference_outputs["KerasHub"] = kh_backbone
        if args.keras_hub_xla:
            kh_backbone_xla, kh_train_xla = keras_hub_models(True)
            add_keras("KerasHub (XLA)", kh_backbone_xla, kh_train_xla, x_train, kh_y)
        notes["keras_hub"] = keras_hub.__version__

    hf = None
    if not args.skip_hf:
        if not os.path.exists(args.hf_python):
            print(f"HF worker skipped: {args.hf_python} not found (see bench/README.md)")
            notes["hf"] = "skipped: no Python with torch"
        else:
            inputs_path = os.path.join(tempfile.mkdtemp(prefix="albert_bench_"), "inputs.npz")
            np.savez(inputs_path, **data)
            hf = HFWorker(args.hf_python, config, inputs_path, args.torch_threads)
            notes["hf"] = {k: hf.info[k] for k in ("torch", "transformers", "threads", "params")}
            impls["HF torch"] = {
                "forward": lambda: hf.ask({"cmd": "forward"}),
                "train": lambda: hf.ask({"cmd": "train"}),
            }

    # === Equivalence checks on the benchmark input ===
    checks = {}
    got = np.asarray(ours.predict_on_batch(x_backbone)["sequence_output"], "float32")
    eager = np.asarray(ours(x_backbone, training=False)["sequence_output"], "float32")
    checks[f"{ours_name} vs eager, max |diff|"] = float(np.abs(got - eager).max())
    for name, model in reference_outputs.items():
        other = np.asarray(model.predict_on_batch(x_backbone)["sequence_output"], "float32")
        checks[f"{ours_name} vs {name}, max |diff|"] = float(np.abs(got - other).max())

    # === Timing: warm-up, then interleaved rounds ===
    def tf_matmul_seconds(n=2048):
        a = tf.random.normal((n, n))
        tf.matmul(a, a).numpy()
        start = time.perf_counter()
        tf.matmul(a, a).numpy()
        return time.perf_counter() - start

    modes = [m for m in ("forward", "train") if not getattr(args, f"skip_{m}")]
    raw = {name: {m: [] for m in modes} for name in impls}
    matmul = {"tf": [], "torch": []}
    for mode in modes:
        for name, fns in impls.items():
            start = time.perf_counter()
            for _ in range(args.warmup):
                fns[mode]()
            print(f"warm-up {name} {mode}: {time.perf_counter() - start:.1f}s", flush=True)
    for r in range(args.repeats):
        matmul["tf"].append(tf_matmul_seconds())
        if hf is not None:
            matmul["torch"].append(hf.ask({"cmd": "matmul", "n": 2048})["seconds"])
        for mode in modes:
            for name, fns in impls.items():
                raw[name][mode].append(fns[mode]())
        print(f"round {r + 1}/{args.repeats} done, load {os.getloadavg()[0]:.2f}", flush=True)
    if hf is not None:
        hf.close()
    load_after = os.getloadavg()

    # === Summary ===
    peak_flops = 2 * 2048**3
    peaks = {k: peak_flops / float(np.median(v)) / 1e9 for k, v in matmul.items() if v}
    results = {}
    for name in impls:
        results[name] = {}
        for mode in modes:
            seconds = [s["seconds"] for s in raw[name][mode]]
            cpu = [s["cpu_seconds"] for s in raw[name][mode]]
            med = float(np.median(seconds))
            results[name][mode] = {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "median_seconds": med,
                "tokens_per_s": tokens / med,
                "sequences_per_s": b / med,
                "tokens_per_cpu_s": tokens / float(np.median(cpu)),
                "gflops": flops[mode] / med / 1e9,
                "fraction_of_tf_matmul_peak": flops[mode] / med / 1e9 / peaks["tf"],
            }
    ratios = {}
    for mode in modes:
        base = results[ours_name][mode]["tokens_per_s"]
        for name in impls:
            if name != ours_name:
                ratios[f"{mode}: {ours_name} / {name}"] = base / results[name][mode]["tokens_per_s"]

    pipeline = None
    if args.input_pipeline_seconds > 0:
        pipeline = run_input_pipeline(args, results.get(ours_name, {}).get("train"))

    report = {
        "command": "bench/encoder.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "time_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "machine": machine_info(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
                     **({"keras_hub": notes["keras_hub"]} if "keras_hub" in notes else {})},
        "hf": notes.get("hf"),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
        "threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                    "inter_op": tf.config.threading.get_inter_op_parallelism_threads()},
        "args": vars(args),
        "config": config,
        "flops": flops,
        "matmul_2048_gflops": peaks,
        "matmul_seconds": matmul,
        "equivalence": checks,
        "results": results,
        "ratios": ratios,
        "input_pipeline": pipeline,
    }
    print_table(report, modes)
    write_outputs(report, args, modes)
    return 0


def run_input_pipeline(args, train_result):
    cmd = [sys.executable, os.path.join(REPO, "bench", "input_pipeline.py"), "--seconds",
           str(args.input_pipeline_seconds), "--seq-len", str(args.seq_len), "--max-predictions",
           str(args.num_predictions)]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO,
                         env=dict(os.environ, PYTHONPATH=REPO))
    lines = [line for line in out.stdout.splitlines() if "sequences/s" in line]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr or out.stdout)[-2000:]}
    rate = float(re.search(r"([\d,.]+) sequences/s", lines[-1]).group(1).replace(",", ""))
    result = {"line": lines[-1], "sequences_per_s": rate, "command": " ".join(cmd[1:])}
    if train_result:
        result["train_sequences_per_s"] = train_result["sequences_per_s"]
        result["headroom"] = rate / train_result["sequences_per_s"]
    return result


def print_table(report, modes):
    m = report["machine"]
    print()
    print(f"{report['command']}")
    print(f"machine: {m.get('Model name', '?')}, {m.get('CPU(s)', m['cpus'])} CPUs; "
          f"load average before {report['load_average_before'][0]:.2f}, after {report['load_average_after'][0]:.2f}")
    print("2048² fp32 matmul: " + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in report["matmul_2048_gflops"].items()))
    print(f"{'implementation':<18} {'mode':<8} {'median s':>9} {'tokens/s':>9} {'seq/s':>7} {'tok/CPU-s':>9} "
          f"{'GFLOP/s':>8} {'% TF peak':>9}")
    for name, per_mode in report["results"].items():
        for mode in modes:
            r = per_mode[mode]
            print(f"{name:<18} {mode:<8} {r['median_seconds']:>9.3f} {r['tokens_per_s']:>9.0f} "
                  f"{r['sequences_per_s']:>7.2f} {r['tokens_per_cpu_s']:>9.0f} {r['gflops']:>8.1f} "
                  f"{100 * r['fraction_of_tf_matmul_peak']:>8.0f}%")
    for k, v in report["ratios"].items():
        print(f"{k}: {v:.2f}x")
    for k, v in report["equivalence"].items():
        print(f"{k}: {v:.2e}")
    if report["input_pipeline"]:
        ip = report["input_pipeline"]
        if "error" in ip:
            print(f"input pipeline failed: {ip['error'][-300:]}")
        else:
            print(f"input pipeline: {ip['sequences_per_s']:.0f} seq/s"
                  + (f" = {ip['headroom']:.0f}x the train step's {ip['train_sequences_per_s']:.2f} seq/s"
                     if "headroom" in ip else ""))


def write_outputs(report, args, modes):
    os.makedirs(args.out, exist_ok=True)
    layers = f"_l{args.num_layers}" if args.num_layers else ""
    stem = f"encoder_{args.preset}{layers}_b{args.batch}_t{args.seq_len}_{args.dtype}{args.tag}"
    path = os.path.join(args.out, stem + ".json")
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
    print(f"wrote {path}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    names = list(report["results"])
    fig, axes = plt.subplots(1, len(modes), figsize=(5 * len(modes), 4), squeeze=False)
    for ax, mode in zip(axes[0], modes, strict=False):
        values = [report["results"][n][mode]["tokens_per_s"] for n in names]
        bars = ax.bar(range(len(names)), values, color=["tab:green"] + ["tab:gray"] * (len(names) - 1))
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=20, ha="right")
        ax.set_ylabel("tokens/s (median)")
        ax.set_title(f"{mode}: {args.preset}, {args.batch}×{args.seq_len}, {args.dtype}")
        for bar, v in zip(bars, values, strict=False):
            ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.0f}", ha="center", va="bottom")
    m = report["machine"]
    fig.suptitle(f"{m.get('Model name', '?')}, {m.get('CPU(s)', m['cpus'])} CPUs, "
                 f"load {report['load_average_before'][0]:.1f}", fontsize=9)
    fig.tight_layout()
    png = os.path.join(args.out, stem + ".png")
    fig.savefig(png, dpi=100)
    print(f"wrote {png}")


if __name__ == "__main__":
    sys.exit(main())
