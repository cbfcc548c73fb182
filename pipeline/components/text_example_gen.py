"""TextExampleGen: text files -> `tf.Example`s with `text` (and `label`), split by hash.

The formats, labels and the hash split are those of `text_reading`. Output:
``Split-{train,eval}/data_tfrecord-00000-of-00001.gz`` (GZIP TFRecords, the
ExampleGen layout), so StatisticsGen, ExampleValidator and the Evaluator
read it like any ExampleGen's output. A missing or empty file fails the
component with `albert_keras.data.errors.DataError` (the config loader checks local files even
earlier).
"""

import json

from tfx import v1 as tfx
from tfx.types import artifact_utils

from albert_keras.data.errors import DataError
from pipeline import features
from pipeline.components.text_reading import read_records, write_examples


@tfx.dsl.components.component
def TextExampleGen(
    examples: tfx.dsl.components.OutputArtifact[tfx.types.standard_artifacts.Examples],
    input_files: tfx.dsl.components.Parameter[str],
    input_format: tfx.dsl.components.Parameter[str] = "auto",
    label_source: tfx.dsl.components.Parameter[str] = "none",
    text_field: tfx.dsl.components.Parameter[str] = "text",
    label_field: tfx.dsl.components.Parameter[str] = "label",
    eval_buckets: tfx.dsl.components.Parameter[int] = 1,
    total_buckets: tfx.dsl.components.Parameter[int] = 10,
):
    """Reads text files (`input_files`: a JSON list) into split `tf.Example`s."""
    paths = json.loads(input_files)
    if not paths:
        raise DataError("`input_files` must list at least one file. Received: []")
    records = []
    for path in paths:
        records.extend(read_records(path, input_format, label_source, text_field, label_field))
    counts = write_examples(records, examples.uri, eval_buckets, total_buckets)
    examples.split_names = artifact_utils.encode_split_names(list(features.SPLITS))
    for split, n in counts.items():
        examples.set_int_custom_property(f"num_{split}_examples", n)
