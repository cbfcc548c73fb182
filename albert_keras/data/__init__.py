"""The data layer: corpus, CSV/TSV/JSONL and fine-tuning readers, packing, pretraining data.

* `errors.DataError`: the one error type; it names the file, line and field.
* `tabular`: the one CSV/TSV/JSONL reader (rows with their line numbers).
* `corpus`, `sentences`: text corpora into documents and sentences.
* `readers/`: fine-tuning files into model inputs (table, CoNLL, SQuAD,
  multiple choice); `packing` lays out `[CLS] A [SEP] B [SEP]`.
* `pretraining_pairs`, `pretraining_records`: sentence-order pairs and the
  static/dynamic TFRecords; `pretraining_dataset` reads records into
  `tf.data`; `pretraining_text` builds masked datasets from raw text.
"""

from albert_keras.data.errors import DataError

__all__ = ["DataError"]
