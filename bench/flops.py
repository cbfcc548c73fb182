"""The analytic FLOP count of bench/encoder.py, next to the parameter rule of thumb.

For each preset (or `--preset`), prints `encoder.model_flops` for one
forward pass and one train step at the given batch and T, and the rule
"2 FLOPs per encoder weight per token in each (shared) layer, plus the T²
attention terms", with their ratio (about 1.00: the count is what the
rule says; the train step also counts the MLM and SOP heads and 3× for
the backward pass).

    .venv/bin/python bench/flops.py [--preset albert_base_v2] [--batch 8] [--seq-len 128] [--num-predictions 20]

albert_base_v2 at batch 8, T=128 is about 179 GFLOP forward.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from encoder import model_flops  # noqa: E402  (bench/ is not a package)

from albert_keras.presets import PRESETS  # noqa: E402


def parameter_rule(config, batch, seq_len):
    """2 FLOPs per weight per token in each layer (q/k/v/output, FFN), the T² terms and the E→H projection."""
    h, i, n_layers = config["hidden_dim"], config["intermediate_dim"], config["num_layers"]
    per_token = n_layers * (2 * (4 * h * h + 2 * h * i) + 4 * seq_len * h) + 2 * config["embedding_dim"] * h
    return float(batch * seq_len * per_token)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default=None, help="one preset (default: every preset)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--num-predictions", type=int, default=20)
    args = p.parse_args(argv)
    names = [args.preset] if args.preset else sorted(PRESETS)
    print(f"batch {args.batch}, T={args.seq_len}, {args.num_predictions} masked positions per sequence")
    print("| preset | forward GFLOP | train GFLOP | train / forward | parameter rule GFLOP | forward / rule |")
    print("|---|---|---|---|---|---|")
    for name in names:
        config = PRESETS[name]["config"]
        flops = model_flops(config, args.batch, args.seq_len, args.num_predictions)
        rule = parameter_rule(config, args.batch, args.seq_len)
        print(f"| {name} | {flops['forward'] / 1e9:.1f} | {flops['train'] / 1e9:.1f} | "
              f"{flops['train'] / flops['forward']:.2f} | {rule / 1e9:.1f} | {flops['forward'] / rule:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
