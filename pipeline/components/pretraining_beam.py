"""Beam transforms that turn raw documents into ALBERT pretraining records.

`PretrainingExamplesDoFn` runs on the Beam workers. This module imports
`tensorflow_text` (which registers the SentencePiece/regex TF ops): workers
of the multi-processing DirectRunner, Dataflow, Flink or Spark are fresh
processes that never ran the launcher's imports, but they import this module
to unpickle the DoFn. Its `setup` builds the in-graph tokenizer of the vocabulary (`AlbertTokenizer` for
spiece.model, `WordPieceTokenizer` for vocab.txt: `load_tokenizer`), the very tokenizer the served model
runs, so pretraining ids and serving ids cannot drift apart; the special ids and word starts come from it.

Per document and per `dupe_factor` pass it makes SOP pairs
(`albert_keras.data.pretraining_pairs`) and either static n-gram whole-word
masks (`albert_keras.masking.static_masking`, original feature names) or the
unmasked sequence plus word starts for dynamic masking
(`albert_keras.data.pretraining_records`). Each (document, pass) has its own
`random.Random` seeded by the seed, the document's md5 and the pass, so the
output does not depend on how Beam distributes the work.
"""

import hashlib
import random
from collections.abc import Iterator

import apache_beam as beam
import tensorflow as tf
import tensorflow_text  # noqa: F401  registers the TF Text ops in each worker process

from albert_keras.data.pretraining_pairs import create_pairs_from_document
from albert_keras.data.pretraining_records import dynamic_example, pack_pair, static_example
from albert_keras.data.sentences import split_sentences
from albert_keras.masking.static_masking import create_masked_lm_predictions
from albert_keras.masking.word_boundaries import word_start_table, word_starts
from albert_keras.tokenizer.loading import load_tokenizer
from pipeline import features, remote

STATIC = "static"
DYNAMIC = "dynamic"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


class PretrainingExamplesDoFn(beam.DoFn):
    """Document text -> serialized pretraining `tf.Example`s.

    Args:
        spm_path: the vocabulary dir (local, or a gs:// dir copied to each worker).
        masking: "static" or "dynamic".
        sequence_length: T.
        max_predictions: P (static).
        dupe_factor: passes over each document (static: new masks each).
        masked_lm_prob, max_ngram: static masking options.
        short_seq_prob: chance of a shorter target length.
        seed: base seed.
    """

    def __init__(
        self,
        spm_path: str,
        masking: str = STATIC,
        sequence_length: int = 128,
        max_predictions: int = 20,
        dupe_factor: int = 1,
        masked_lm_prob: float = 0.15,
        short_seq_prob: float = 0.1,
        max_ngram: int = 3,
        seed: int = 12345,
    ) -> None:
        if masking not in (STATIC, DYNAMIC):
            raise ValueError(f"masking must be {STATIC!r} or {DYNAMIC!r}, got {masking!r}")
        if not isinstance(dupe_factor, int) or dupe_factor < 1:
            raise ValueError(f"dupe_factor must be an int >= 1, got {dupe_factor!r}")
        if not isinstance(sequence_length, int) or sequence_length < 5:
            raise ValueError(f"sequence_length must be an int >= 5, got {sequence_length!r}")
        self._spm_path = spm_path
        self._masking = masking
        self._t = sequence_length
        self._p = max_predictions
        self._dupe = dupe_factor
        self._masked_lm_prob = masked_lm_prob
        self._short_seq_prob = short_seq_prob
        self._max_ngram = max_ngram
        self._seed = seed
        self._examples = beam.metrics.Metrics.counter("albert_pretraining", "examples")
        self._skipped = beam.metrics.Metrics.counter("albert_pretraining", "documents_without_pairs")

    def setup(self) -> None:
        self._tokenizer = load_tokenizer(remote.local_copy(self._spm_path, prefix="albert_vocab_"))
        self._vocab_size = self._tokenizer.vocabulary_size()
        self._special_ids = self._tokenizer.special_ids
        self._table = word_start_table(self._tokenizer)

    def tokenize(self, sentences: list[str]) -> list[list[int]]:
        """Ids of each sentence, from the in-graph tokenizer (TF Text ops)."""
        return self._tokenizer.tokenize(sentences).to_list()

    def process(self, text: str | list[str]) -> Iterator[bytes]:
        """The records of one document, or of a batch of documents (`beam.BatchElements`).

        A batch is tokenized in one call: eager TF Text ops cost about the
        same for one short review as for hundreds, so per-document calls made
        the 27k-review demo corpus take many minutes.
        """
        texts = [text] if isinstance(text, str) else list(text)
        documents = [split_sentences(t) if t else [] for t in texts]
        flat = [sentence for sentences in documents for sentence in sentences]
        ids = iter(self.tokenize(flat) if flat else [])
        for text, sentences in zip(texts, documents, strict=True):
            if not sentences:
                self._skipped.inc()
                continue
            yield from self._records(text, [x for x in (next(ids) for _ in sentences) if x])

    def _records(self, text: str, document: list[list[int]]) -> Iterator[bytes]:
        digest = _md5(text)
        made = 0
        for dupe in range(self._dupe):
            rng = random.Random(f"{self._seed}:{digest}:{dupe}")
            for pair in create_pairs_from_document(document, self._t, self._short_seq_prob, rng):
                special = self._special_ids
                tokens, segments = pack_pair(pair, special)
                starts = word_starts(tokens, self._table, special).tolist()
                if self._masking == DYNAMIC:
                    example = dynamic_example(tokens, segments, starts, pair.label, self._t, special.pad)
                else:
                    result = create_masked_lm_predictions(
                        tokens, starts, self._vocab_size, rng, masked_lm_prob=self._masked_lm_prob,
                        max_predictions=self._p, max_ngram=self._max_ngram, special_ids=special,
                    )
                    example = static_example(tokens, segments, result, pair.label, self._t, self._p, special.pad)
                made += 1
                yield example.SerializeToString(deterministic=True)
        self._examples.inc(made)
        if not made:
            self._skipped.inc()


def parse_text(record: bytes) -> str:
    """The `text` of a serialized raw `tf.Example` ("" when it has none)."""
    values = tf.train.Example.FromString(record).features.feature[features.TEXT].bytes_list.value
    return values[0].decode("utf-8") if values else ""


def document_key(text: str, texts_per_document: int, num_texts: int) -> tuple[int, str]:
    """The group of `text`: md5 bucket `b` of `max(1, num_texts // texts_per_document)`.

    The key depends only on the text and the split's size, so the grouping is
    the same however Beam distributes the work; identical texts share a group.
    It hashes the md5's first 64 bits, not the whole md5 as the train/eval
    split does (`albert_keras.data.splits.bucket_of`): within one split the
    whole md5 modulo a group count sharing a factor with the split's buckets
    would leave groups empty.
    """
    groups = max(1, num_texts // texts_per_document)
    return int(_md5(text)[:16], 16) % groups, text


def join_texts(key: int, texts) -> str:
    """One document of the texts of a group, in md5 order, a text per line (so never one sentence)."""
    del key
    return "\n".join(sorted(texts, key=_md5))


class GroupIntoDocuments(beam.PTransform):
    """Packs about `texts_per_document` texts into each document.

    For corpora of short texts (reviews, posts): one review is one document
    in the original recipe, and a document of one sentence makes no SOP pair,
    so most short texts would make no example. Grouped, every text is used
    and sequences are filled to T. The groups are md5 buckets (their sizes
    vary around `texts_per_document`), stable across runs and runners.
    """

    def __init__(self, texts_per_document: int, label: str = "") -> None:
        super().__init__(label or None)
        if texts_per_document < 1:
            raise ValueError(f"`texts_per_document` must be >= 1. Received: {texts_per_document}")
        self._k = texts_per_document

    def expand(self, texts: beam.pvalue.PCollection) -> beam.pvalue.PCollection:
        texts = texts | "NonEmpty" >> beam.Filter(bool)
        count = texts | "Count" >> beam.combiners.Count.Globally()
        return (
            texts
            | "Key" >> beam.Map(document_key, self._k, beam.pvalue.AsSingleton(count))
            | "Group" >> beam.GroupByKey()
            | "Join" >> beam.MapTuple(join_texts)
        )


class WritePretrainingRecords(beam.PTransform):
    """Reads raw example files, makes pretraining records and writes TFRecords.

    Args:
        input_pattern: glob of the raw (GZIP) `tf.Example` files of one split.
        output_prefix: the output path prefix (files
            `<prefix>-SSSSS-of-NNNNN`, uncompressed: the albert_keras readers
            open them as plain TFRecords).
        dofn: a `PretrainingExamplesDoFn`.
        texts_per_document: 1 (each raw example is a document), or the
            number of raw texts `GroupIntoDocuments` packs into one.
    """

    def __init__(
        self, input_pattern: str, output_prefix: str, dofn: PretrainingExamplesDoFn, label: str = "",
        texts_per_document: int = 1,
    ) -> None:
        super().__init__(label or None)
        self._texts_per_document = texts_per_document
        self._input_pattern = input_pattern
        self._output_prefix = output_prefix
        self._dofn = dofn

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.pvalue.PCollection:
        texts = (
            pbegin
            | "ReadRaw" >> beam.io.ReadFromTFRecord(
                self._input_pattern, compression_type=beam.io.filesystem.CompressionTypes.AUTO)
            | "ParseText" >> beam.Map(parse_text)
        )
        if self._texts_per_document > 1:
            texts = texts | "GroupIntoDocuments" >> GroupIntoDocuments(self._texts_per_document)
        return (
            texts
            | "Reshuffle" >> beam.Reshuffle()
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=512)  # one tokenizer call a batch
            | "MakeRecords" >> beam.ParDo(self._dofn)
            | "Write" >> beam.io.WriteToTFRecord(
                self._output_prefix, compression_type=beam.io.filesystem.CompressionTypes.UNCOMPRESSED)
        )
