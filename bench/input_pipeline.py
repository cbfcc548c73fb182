"""Benchmarks the training-time input pipeline: tokenize + pack + dynamic mask.

Raw text pairs (consecutive sentences of the bundled corpus, English and
Chinese, grouped to about (T-3)/2 tokens a side so packed sequences of T=128
are nearly full) go through `AlbertTokenizer`,
`pack`, in-graph word starts and `dynamic_mask` in a batched `tf.data`
pipeline; the script prints sequences per second.

    .venv/bin/python bench/input_pipeline.py [--vocab DIR] [--batch-size 256] [--seconds 20]
    .venv/bin/python bench/input_pipeline.py --records 'OUT*.tfrecord' --vocab DIR

Without --vocab it trains an 8000-piece vocabulary on the bundled corpus first.
With --records it measures the training path from dynamic records instead
(parse + dynamic mask, no tokenization): `load_dynamic_pretraining_dataset`.
"""

import argparse
import glob
import os
import sys
import tempfile
import time

import tensorflow as tf

from albert_keras import features
from albert_keras.data import corpus
from albert_keras.data.sentences import split_sentences
from albert_keras.masking.dynamic_masking import dynamic_mask
from albert_keras.masking.word_boundaries import start_piece_table, word_starts_in_graph
from albert_keras.preprocessing.packer import pack
from albert_keras.tokenizer import vocab
from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def text_pairs(documents, encoder, tokens_per_side):
    """Groups consecutive sentences into (A, B) texts of about `tokens_per_side` tokens."""
    pieces, current, length = [], [], 0
    for document in documents:
        for sentence in split_sentences(document):
            current.append(sentence)
            length += len(encoder.encode(sentence))
            if length >= tokens_per_side:
                pieces.append(" ".join(current))
                current, length = [], 0
    half = len(pieces) // 2
    return pieces[0::2][:half], pieces[1::2][:half]


def build_pipeline(tokenizer, texts_a, texts_b, batch_size, seq_len, max_predictions, seed):
    """Returns a repeating dataset of (x, y) batches made from raw text."""
    table = start_piece_table(tokenizer.id_to_piece, tokenizer.vocabulary_size(), tokenizer.is_word_start)
    special_ids = tokenizer.special_ids
    vocab_size = tokenizer.vocabulary_size()

    def process(a, b, s):
        packed = pack(tokenizer.tokenize(a), tokenizer.tokenize(b), seq_len, special_ids)
        starts = word_starts_in_graph(packed[features.TOKEN_IDS], packed[features.PADDING_MASK], table, special_ids)
        masked = dynamic_mask(packed[features.TOKEN_IDS], packed[features.PADDING_MASK], starts, s,
                              vocab_size=vocab_size, max_predictions=max_predictions, special_ids=special_ids)
        x = {
            features.TOKEN_IDS: masked[features.TOKEN_IDS],
            features.SEGMENT_IDS: packed[features.SEGMENT_IDS],
            features.PADDING_MASK: packed[features.PADDING_MASK],
            features.MASK_POSITIONS: masked[features.MASK_POSITIONS],
        }
        y = {features.MLM_IDS: masked[features.MLM_IDS], features.MLM_WEIGHTS: masked[features.MLM_WEIGHTS]}
        return x, y

    ds = tf.data.Dataset.from_tensor_slices((texts_a, texts_b)).repeat().batch(batch_size, drop_remainder=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    ds = tf.data.Dataset.zip((ds, seeds)).map(lambda ab, s: process(ab[0], ab[1], s),
                                               num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", help="vocabulary dir (default: train one)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--max-predictions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to measure")
    parser.add_argument("--implementation", default="standard", choices=["auto", "fast", "standard"],
                        help="AlbertTokenizer's SentencePiece op")
    parser.add_argument("--records", help="dynamic TFRecords to read instead of raw text")
    args = parser.parse_args(argv)

    files = sorted(glob.glob(os.path.join(REPO, "data", "*", "*.txt")))
    documents = corpus.read_corpus(files)
    vocab_dir = args.vocab
    if vocab_dir is None:
        vocab_dir = tempfile.mkdtemp(prefix="bench_vocab_")
        proto = vocab.train_sentencepiece(documents, 8000, lowercase=True, seed=0)
        vocab.write_vocab_dir(vocab_dir, proto, {"lowercase": True, "strip_accents": True, "seed": 0})
    tokenizer = AlbertTokenizer(vocab_dir, implementation=args.implementation)
    if args.records:
        from albert_keras.data.pretraining_dataset import load_dynamic_pretraining_dataset

        what = "dynamic records (parse + dynamic mask)"
        ds = load_dynamic_pretraining_dataset(args.records, args.batch_size, args.seq_len, args.max_predictions,
                                              tokenizer.vocabulary_size(), seed=0, shuffle=False, repeat=True)
    else:
        what = "raw text (tokenize + pack + dynamic mask)"
        encoder = SentencePieceEncoder(vocab_dir)
        texts_a, texts_b = text_pairs(documents, encoder, (args.seq_len - 3) // 2)
        ds = build_pipeline(tokenizer, texts_a, texts_b, args.batch_size, args.seq_len, args.max_predictions, seed=0)

    iterator = iter(ds)
    fill = 0.0
    for _ in range(5):  # warm up: tracing, thread pools
        x, _ = next(iterator)
        fill = float(tf.reduce_mean(tf.cast(x[features.PADDING_MASK], tf.float32)))
    batches, start = 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        next(iterator)
        batches += 1
    elapsed = time.perf_counter() - start
    rate = batches * args.batch_size / elapsed
    print(
        f"input pipeline from {what}, T={args.seq_len}, batch {args.batch_size}, "
        f"SentencePiece op {'fast' if tokenizer.uses_fast_op else 'standard'}, {os.cpu_count()} CPUs, "
        f"{fill:.0%} of positions real: {rate:,.0f} sequences/s "
        f"({batches} batches in {elapsed:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
