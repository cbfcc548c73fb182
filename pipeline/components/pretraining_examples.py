"""PretrainingExamplesGen (Beam): raw examples + vocabulary -> pretraining records.

Runs `pretraining_beam.WritePretrainingRecords` on every split of the raw
examples with the pipeline's Beam args (DirectRunner in multi-processing
mode by default; Dataflow/Flink/Spark by `beam.args`). The output is an
`Examples` artifact (so the standard Trainer takes it) holding

    Split-train/, Split-eval/   uncompressed TFRecords, static records with
                                the original feature names, or dynamic ones
    vocab/                      a copy of the vocabulary that made them

and custom properties `masking`, `sequence_length`, `max_predictions`,
`num_<split>_examples`, which the Trainer and the MLM evaluator check.
"""

import os

import apache_beam as beam
import tensorflow as tf
from tfx import v1 as tfx
from tfx.types import artifact_utils

from albert_keras.tokenizer import loading
from pipeline import features
from pipeline.artifacts import SentencePieceVocabulary
from pipeline.components import examples_io
from pipeline.components.pretraining_beam import PretrainingExamplesDoFn, WritePretrainingRecords

VOCAB_SUBDIR = "vocab"
_VOCAB_FILES = loading.VOCAB_FILES  # spiece.model, spiece.vocab, vocab.txt, vocab_chinese.txt, tokenizer.json
_REQUIRED = (loading.SPM_FILE, *loading.WORDPIECE_FILES)  # one of them


def copy_vocabulary(source_dir: str, target_dir: str) -> str:
    """Copies the vocabulary files present in `source_dir` (spiece.model or vocab.txt required)."""
    tf.io.gfile.makedirs(target_dir)
    if not any(tf.io.gfile.exists(os.path.join(source_dir, name)) for name in _REQUIRED):
        raise FileNotFoundError(
            f"Vocabulary {source_dir!r} has no tokenizer vocabulary: looked for {' or '.join(_REQUIRED)}"
        )
    for name in _VOCAB_FILES:
        src = os.path.join(source_dir, name)
        if tf.io.gfile.exists(src):
            tf.io.gfile.copy(src, os.path.join(target_dir, name), overwrite=True)
    return target_dir


def count_records(pattern: str) -> int:
    """Number of records in the uncompressed TFRecord files matching `pattern`."""
    files = tf.io.gfile.glob(pattern)
    return sum(int(tf.data.TFRecordDataset(f).reduce(0, lambda n, _: n + 1)) for f in files)


@tfx.dsl.components.component(use_beam=True)
def PretrainingExamplesGen(
    examples: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.Examples],
    vocabulary: tfx.dsl.components.InputArtifact[SentencePieceVocabulary],
    pretraining_examples: tfx.dsl.components.OutputArtifact[tfx.types.standard_artifacts.Examples],
    masking: tfx.dsl.components.Parameter[str] = "static",
    sequence_length: tfx.dsl.components.Parameter[int] = 128,
    max_predictions: tfx.dsl.components.Parameter[int] = 20,
    dupe_factor: tfx.dsl.components.Parameter[int] = 1,
    masked_lm_prob: tfx.dsl.components.Parameter[float] = 0.15,
    short_seq_prob: tfx.dsl.components.Parameter[float] = 0.1,
    max_ngram: tfx.dsl.components.Parameter[int] = 3,
    texts_per_document: tfx.dsl.components.Parameter[int] = 1,
    seed: tfx.dsl.components.Parameter[int] = 12345,
    beam_pipeline: tfx.dsl.components.BeamComponentParameter[beam.Pipeline] = None,
):
    """Makes SOP pairs with static masks (or unmasked, for dynamic masking) per split."""
    out = pretraining_examples.uri
    vocab_dir = copy_vocabulary(vocabulary.uri, os.path.join(out, VOCAB_SUBDIR))
    splits = artifact_utils.decode_split_names(examples.split_names)
    dofn_args = dict(
        masking=masking, sequence_length=sequence_length, max_predictions=max_predictions,
        dupe_factor=dupe_factor, masked_lm_prob=masked_lm_prob, short_seq_prob=short_seq_prob,
        max_ngram=max_ngram,
    )
    with beam_pipeline as p:
        for index, split in enumerate(splits):
            dofn = PretrainingExamplesDoFn(vocab_dir, seed=seed + index, **dofn_args)
            _ = p | f"Records[{split}]" >> WritePretrainingRecords(
                os.path.join(examples_io.split_dir(examples, split), "*"),
                os.path.join(out, f"Split-{split}", "data_tfrecord"),
                dofn,
                texts_per_document=texts_per_document,
            )
    pretraining_examples.split_names = artifact_utils.encode_split_names(splits)
    for split in splits:
        n = count_records(os.path.join(out, f"Split-{split}", "*"))
        if n == 0 and split == features.TRAIN_SPLIT:
            raise ValueError(
                "No pretraining examples were made from the train split: every document has fewer "
                "than two sentences or fits no pair; give longer documents, or pack short texts "
                "together with `examples.texts_per_document`"
            )
        pretraining_examples.set_int_custom_property(f"num_{split}_examples", n)
    pretraining_examples.set_string_custom_property("masking", masking)
    pretraining_examples.set_int_custom_property("sequence_length", sequence_length)
    pretraining_examples.set_int_custom_property("max_predictions", max_predictions)
    pretraining_examples.set_int_custom_property("dupe_factor", dupe_factor)
    pretraining_examples.set_float_custom_property("masked_lm_prob", masked_lm_prob)
    pretraining_examples.set_int_custom_property("max_ngram", max_ngram)
    pretraining_examples.set_int_custom_property("texts_per_document", texts_per_document)
