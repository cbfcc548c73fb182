"""Does distillation help? KD against plain pretraining of the same student, on held-out text.

Every 10th document of the bundled English corpus is held out (never
trained on). A teacher (configs/pretrain/tiny_cpu.yaml: 2 layers, H=64)
pretrains for --teacher-steps; then, for each seed, the student of
configs/distill/student_tiny.yaml (1 layer, H=32) is trained twice for
--student-steps with the same data, steps and seed: once by `albert distill`
with configs/distill/tiny_cpu.yaml as shipped, once by plain `albert
pretrain` on the teacher's vocabulary. The script prints the held-out MLM
accuracy of the teacher and of both students, and the margin per seed
(the figures of the README's distillation section).

    .venv/bin/python bench/distill_margin.py [--teacher-steps 800] [--student-steps 200] [--seeds 0 1]

About 5 minutes on 2 CPU cores with the defaults. Exit code 0 whatever the
margin: this measures, it does not test.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

from albert_keras.data.corpus import read_corpus

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = ["data/fortunes/computers.txt", "data/fortunes/science.txt", "data/fortunes/politics.txt",
          "data/fortunes/food.txt"]
# configs/distill/student_tiny.yaml, spelled out for the plain-pretraining run.
STUDENT = {"num_layers": 1, "num_heads": 2, "embedding_dim": 32, "hidden_dim": 32, "intermediate_dim": 64,
           "max_sequence_length": 64}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--teacher-steps", type=int, default=800)
    p.add_argument("--student-steps", type=int, default=200)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--work-dir", default=None, help="where the runs go (default: a temporary dir)")
    return p.parse_args(argv)


def split_corpus(directory):
    """Every 10th document of the corpus into eval.txt, the rest into train.txt; returns both paths.

    One held-out set for every run: the seeds change the students' init,
    data order and masking, not what they are evaluated on, and the teacher
    never trains on it (with `eval_fraction` the split would follow the seed).
    """
    documents = read_corpus([os.path.join(REPO, f) for f in CORPUS], "fortune")
    paths = {}
    for name, keep in (("train", lambda i: i % 10), ("eval", lambda i: not i % 10)):
        paths[name] = os.path.join(directory, f"{name}.txt")
        with open(paths[name], "w", encoding="utf-8") as f:
            f.write("\n%\n".join(d for i, d in enumerate(documents) if keep(i)) + "\n%\n")
    return paths


def common_args(split, run_dir, steps, seed):
    """The `--set` overrides every run shares: data split, run dir, steps, seed."""
    values = [f"data.train_files=[{split['train']}]", f"data.eval_files=[{split['eval']}]",
              f"training.run_dir={run_dir}", f"training.train_steps={steps}",
              f"training.steps_per_loop={math.gcd(steps, 100)}", "training.checkpoint_every=0",
              f"training.seed={seed}", "training.verbose=0"]
    return [item for value in values for item in ("--set", value)] + ["--fresh"]


def albert(args):
    """Runs `albert ARGS` in a fresh Python from the repo root; returns its exit code."""
    return subprocess.run([sys.executable, "-m", "albert_keras.cli", *args], cwd=REPO).returncode


def metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.json")) as f:
        return json.load(f)


def main(argv=None):
    args = parse_args(argv)
    work = os.path.abspath(args.work_dir) if args.work_dir else tempfile.mkdtemp(prefix="distill_margin_")
    os.makedirs(work, exist_ok=True)
    split = split_corpus(work)
    teacher_run = os.path.join(work, "teacher")
    teacher = os.path.join(teacher_run, "model")
    if albert(["pretrain", "--config", "configs/pretrain/tiny_cpu.yaml"]
              + common_args(split, teacher_run, args.teacher_steps, 0)) != 0:
        return 1
    rows = []
    for seed in args.seeds:
        kd_dir, plain_dir = os.path.join(work, f"kd{seed}"), os.path.join(work, f"plain{seed}")
        kd = ["distill", "--teacher", teacher, "--student", "configs/distill/student_tiny.yaml",
              "--config", "configs/distill/tiny_cpu.yaml"]
        plain = ["pretrain", "--config", "configs/distill/tiny_cpu.yaml", "--set", f"data.spm={teacher}",
                 "--set", "model.init=albert_tiny"]
        plain += [item for k, v in STUDENT.items() for item in ("--set", f"model.overrides.{k}={v}")]
        for command, run_dir in ((kd, kd_dir), (plain, plain_dir)):
            if albert(command + common_args(split, run_dir, args.student_steps, seed)) != 0:
                return 1
        kd_metrics = metrics(kd_dir)
        # The seed also draws the held-out masks, so the teacher has a figure per seed.
        rows.append((seed, kd_metrics["distill"]["teacher_eval"]["mlm_accuracy"],
                     kd_metrics["eval"]["mlm_accuracy"], metrics(plain_dir)["eval"]["mlm_accuracy"]))
    print(f"\nheld-out MLM accuracy (teacher {args.teacher_steps} steps, students {args.student_steps} steps; "
          f"runs in {work})")
    print("| seed | teacher | student with KD | student without KD | margin |")
    print("|---|---|---|---|---|")
    for seed, teacher_acc, with_kd, without_kd in rows:
        print(f"| {seed} | {teacher_acc:.3f} | {with_kd:.3f} | {without_kd:.3f} | {with_kd - without_kd:+.3f} |")
    margins = [r[2] - r[3] for r in rows]
    print(f"mean margin {sum(margins) / len(margins):+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
