"""Exports a randomly initialized preset pretrainer for serving benchmarks.

Latency depends on the architecture, not on the weights, so a preset with
random weights and any vocabulary measures what a trained model of that size
costs (the MLM head scores only the masked positions, so the vocabulary size
barely matters).

    .venv/bin/albert vocab --input data/fortunes/*.txt data/zh/*.txt --vocab-size 4000 --output runs/vocab4000
    .venv/bin/python bench/export_preset.py --preset albert_base_v2 --spm runs/vocab4000 \\
        --output runs/bench/base/albert/1 --sequence-length 128
    .venv/bin/python bench/serving.py --model-base-path runs/bench/base/albert
"""

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[0] = REPO


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="albert_base_v2", help="a name in albert_keras.presets.PRESETS")
    parser.add_argument("--spm", required=True, help="a vocabulary dir or spiece.model")
    parser.add_argument("--output", required=True, help="BASE/VERSION")
    parser.add_argument("--sequence-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import keras

    from albert_keras.export.exporter import export_saved_model
    from albert_keras.models.backbone import AlbertBackbone
    from albert_keras.tasks.pretrainer import AlbertPretrainer
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    keras.utils.set_random_seed(args.seed)
    vocabulary_size = SentencePieceEncoder(args.spm).vocabulary_size()
    backbone = AlbertBackbone.from_preset(args.preset, load_weights=False, vocabulary_size=vocabulary_size)
    export_saved_model(AlbertPretrainer(backbone), args.output, spm_path=args.spm,
                       sequence_length=args.sequence_length, keras_output=None, overwrite=True)
    print(f"exported {args.preset} (V={vocabulary_size}, {backbone.count_params():,} parameters) to {args.output}")


if __name__ == "__main__":
    main()
