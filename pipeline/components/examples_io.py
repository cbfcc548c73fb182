"""Reading and writing the split directories of Examples artifacts."""

import os

import tensorflow as tf
from tfx.types import Artifact, artifact_utils

from pipeline import features


def split_dir(artifact: Artifact, split: str) -> str:
    """The directory of `split` inside an Examples-like artifact."""
    return artifact_utils.get_split_uri([artifact], split)


def split_files(artifact: Artifact, split: str) -> list[str]:
    """The files of `split`, sorted; raises if there are none."""
    files = sorted(tf.io.gfile.glob(os.path.join(split_dir(artifact, split), "*")))
    if not files:
        raise FileNotFoundError(f"Examples artifact {artifact.uri!r} has no files in split {split!r}")
    return files


def compression(path: str) -> str:
    """The TFRecord compression type of `path` (by its suffix)."""
    return "GZIP" if path.endswith(".gz") else ""


def read_texts(artifact: Artifact, split: str) -> list[str]:
    """The `text` values of one split (empty texts as "")."""
    texts = []
    for path in split_files(artifact, split):
        for record in tf.data.TFRecordDataset(path, compression_type=compression(path)).as_numpy_iterator():
            example = tf.train.Example.FromString(record)
            values = example.features.feature[features.TEXT].bytes_list.value
            texts.append(values[0].decode("utf-8") if values else "")
    return texts
