"""PretrainingExamplesDoFn (tensorflow_text in the workers) under the multi-processing DirectRunner."""

import hashlib
import os
import random

import apache_beam as beam
import pytest
import tensorflow as tf
from apache_beam.options.pipeline_options import PipelineOptions

from albert_keras import features
from albert_keras.data.pretraining_pairs import create_pairs_from_document
from albert_keras.data.pretraining_records import dynamic_feature_spec, pack_pair, static_feature_spec
from albert_keras.data.sentences import split_sentences
from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder
from pipeline.components import text_reading
from pipeline.components.pretraining_beam import (
    PretrainingExamplesDoFn,
    WritePretrainingRecords,
    document_key,
    join_texts,
)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MULTI_PROCESSING = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
T, P, SEED = 48, 6, 7


@pytest.fixture(scope="module")
def documents():
    records = text_reading.read_records(os.path.join(REPO, "data/fortunes/food.txt"))[:40]
    records += text_reading.read_records(os.path.join(REPO, "data/zh/song100.txt"))[:10]
    return [t for t, _ in records]


def _run(tmp_path, vocab_dir, documents, masking, dupe_factor, texts_per_document=1):
    tmp_path.mkdir(parents=True, exist_ok=True)
    raw = tmp_path / f"raw_{masking}.gz"
    with tf.io.TFRecordWriter(str(raw), options="GZIP") as writer:
        for text in documents:
            writer.write(text_reading.to_example(text).SerializeToString())
    prefix = str(tmp_path / masking / "data_tfrecord")
    dofn = PretrainingExamplesDoFn(str(vocab_dir), masking=masking, sequence_length=T, max_predictions=P,
                                   dupe_factor=dupe_factor, seed=SEED)
    with beam.Pipeline(options=PipelineOptions(MULTI_PROCESSING)) as p:
        _ = p | WritePretrainingRecords(str(raw), prefix, dofn, texts_per_document=texts_per_document)
    files = tf.io.gfile.glob(prefix + "*")
    assert files, "the pipeline wrote no files"
    return [r for f in files for r in tf.data.TFRecordDataset(f).as_numpy_iterator()]


def _expected_sequences(vocab_dir, documents, dupe_factor):
    """What the DoFn must give, computed in this process with the Python encoder."""
    encoder = SentencePieceEncoder(str(vocab_dir))
    expected = []
    for text in documents:
        document = [ids for ids in (encoder.encode(s) for s in split_sentences(text)) if ids]
        digest = hashlib.md5(text.encode("utf-8")).hexdigest()
        for dupe in range(dupe_factor):
            rng = random.Random(f"{SEED}:{digest}:{dupe}")
            for pair in create_pairs_from_document(document, T, 0.1, rng):
                tokens, segments = pack_pair(pair)
                expected.append((tuple(tokens), tuple(segments), pair.label))
    return expected


def test_dynamic_records_match_the_python_tokenizer(tmp_path, spm_vocab_dir, documents):
    records = _run(tmp_path, spm_vocab_dir, documents, "dynamic", dupe_factor=2)
    got = []
    for record in records:
        ex = tf.io.parse_single_example(record, dynamic_feature_spec(T))
        n = int(ex["input_mask"].numpy().sum())
        tokens = tuple(int(i) for i in ex["input_ids"].numpy()[:n])
        segments = tuple(int(i) for i in ex["segment_ids"].numpy()[:n])
        assert set(ex["input_ids"].numpy()[n:].tolist()) <= {features.PAD_ID}
        assert ex["word_starts"].numpy()[0] == 0  # [CLS] never starts a word
        got.append((tokens, segments, int(ex["next_sentence_labels"].numpy()[0])))
    expected = _expected_sequences(spm_vocab_dir, documents, dupe_factor=2)
    assert len(got) > 20
    # In-graph tokenization (TF Text ops in the worker processes) == the Python encoder.
    assert sorted(got) == sorted(expected)
    assert {label for _, _, label in got} == {0, 1}


def test_static_records_hold_consistent_masks(tmp_path, spm_vocab_dir, documents):
    records = _run(tmp_path, spm_vocab_dir, documents, "static", dupe_factor=1)
    expected = _expected_sequences(spm_vocab_dir, documents, dupe_factor=1)
    assert len(records) == len(expected)
    originals = {tokens for tokens, _, _ in expected}
    masked_total = 0
    for record in records:
        ex = {k: v.numpy() for k, v in tf.io.parse_single_example(record, static_feature_spec(T, P)).items()}
        weights = ex["masked_lm_weights"]
        k = int(weights.sum())
        assert 1 <= k <= P and set(weights[:k]) == {1.0} and set(weights[k:]) <= {0.0}
        ids = ex["input_ids"].copy()
        positions = ex["masked_lm_positions"][:k]
        ids[positions] = ex["masked_lm_ids"][:k]  # undo the masking
        n = int(ex["input_mask"].sum())
        assert tuple(int(i) for i in ids[:n]) in originals
        assert not set(ex["masked_lm_ids"][:k].tolist()) & {features.CLS_ID, features.SEP_ID, features.PAD_ID}
        masked_total += k
    assert masked_total > len(records)


def test_wordpiece_vocabulary_gen_and_records_use_the_vocabularys_ids(tmp_path, documents):
    """`vocabulary.kind: wordpiece`: VocabularyGen's trainer writes a vocab.txt dir, and the DoFn
    (called directly, as a worker does) packs and masks with that vocabulary's ids."""
    from albert_keras.tokenizer import loading
    from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer
    from pipeline.components.vocabulary_gen import train_vocabulary

    vocab_dir = str(tmp_path / "wp_vocab")
    size = train_vocabulary(documents, vocab_dir, "wordpiece", vocab_size=300)
    assert os.path.isfile(os.path.join(vocab_dir, "vocab.txt")) and not os.path.exists(
        os.path.join(vocab_dir, "spiece.model"))
    assert loading.tokenizer_kind(vocab_dir) == "wordpiece" and 5 < size <= 300
    with pytest.raises(ValueError, match="`kind` must be one of"):
        train_vocabulary(documents, str(tmp_path / "bad"), "bpe", vocab_size=300)
    # PretrainingExamplesGen's copy of the vocabulary keeps vocab.txt and tokenizer.json.
    from pipeline.components.pretraining_examples import copy_vocabulary

    copied = copy_vocabulary(vocab_dir, str(tmp_path / "copied"))
    assert sorted(os.listdir(copied)) == ["tokenizer.json", "vocab.txt"]
    assert loading.load_encoder(copied).encode(documents[0]) == loading.load_encoder(vocab_dir).encode(documents[0])
    (tmp_path / "novocab").mkdir()
    with pytest.raises(FileNotFoundError, match=r"novocab.*spiece\.model or vocab\.txt or vocab_chinese\.txt"):
        copy_vocabulary(str(tmp_path / "novocab"), str(tmp_path / "copied2"))
    # A vocabulary whose special ids are not 0..4: [CLS]/[SEP]/[MASK] moved to the end.
    tokens = open(os.path.join(vocab_dir, "vocab.txt"), encoding="utf-8").read().splitlines()
    moved = [t for t in tokens if t not in ("[CLS]", "[SEP]", "[MASK]")] + ["[CLS]", "[SEP]", "[MASK]"]
    moved_dir = tmp_path / "moved"
    moved_dir.mkdir()
    (moved_dir / "vocab.txt").write_text("".join(t + "\n" for t in moved), encoding="utf-8")
    cls, sep, mask = len(moved) - 3, len(moved) - 2, len(moved) - 1
    for masking in ("static", "dynamic"):
        dofn = PretrainingExamplesDoFn(str(moved_dir), masking=masking, sequence_length=T, max_predictions=P, seed=1)
        dofn.setup()
        assert isinstance(dofn._tokenizer, WordPieceTokenizer)
        spec = static_feature_spec(T, P) if masking == "static" else dynamic_feature_spec(T)
        records = [r for text in documents[:20] for r in dofn.process(text)]
        assert len(records) > 5
        masks = 0
        for record in records:
            ex = {k: v.numpy() for k, v in tf.io.parse_single_example(record, spec).items()}
            n = int(ex["input_mask"].sum())
            ids = ex["input_ids"][:n].tolist()
            assert ids[0] == cls and ids[-1] == sep and ids.count(sep) == 2
            if masking == "static":
                masks += ids.count(mask)
                k = int(ex["masked_lm_weights"].sum())
                assert not {cls, sep} & set(ex["masked_lm_ids"][:k].tolist())
            else:
                assert ex["word_starts"][0] == 0 and ex["word_starts"][n - 1] == 0
        assert masking == "dynamic" or masks > 0


def test_document_groups_hold_every_text_once_whatever_the_order():
    texts = [f"review {i}." for i in range(100)]
    groups = {}
    for text in texts:
        key, same = document_key(text, 8, len(texts))
        assert same == text and 0 <= key < 12  # 100 // 8 groups
        groups.setdefault(key, []).append(text)
    assert sorted(t for g in groups.values() for t in g) == sorted(texts)
    assert len(groups) > 6  # md5 buckets spread the texts
    for key, members in groups.items():
        document = join_texts(key, members)
        assert document == join_texts(key, list(reversed(members)))  # md5 order, not arrival order
        assert sorted(document.split("\n")) == sorted(members)
    assert document_key("x", 8, 3)[0] == 0  # fewer texts than a document: one group


def test_one_sentence_texts_make_examples_only_when_packed(tmp_path, spm_vocab_dir, documents):
    sentences = [s for text in documents for s in split_sentences(text)]
    assert len(sentences) > 100
    alone = _run(tmp_path / "alone", spm_vocab_dir, sentences, "dynamic", dupe_factor=1)
    assert alone == []  # a one-sentence document makes no SOP pair
    packed = _run(tmp_path / "packed", spm_vocab_dir, sentences, "dynamic", dupe_factor=1, texts_per_document=8)
    assert len(packed) > 10
    labels = {int(tf.io.parse_single_example(r, dynamic_feature_spec(T))["next_sentence_labels"].numpy()[0])
              for r in packed}
    assert labels == {0, 1}
