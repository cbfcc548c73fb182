"""AnomaliesGate: fails the run when ExampleValidator found anomalies.

ExampleValidator writes the anomalies of each split but succeeds anyway;
this gate reads them and raises `albert_keras.data.errors.DataError` listing
every anomaly,
so the pipeline stops before the vocabulary and the Trainer (which are
wired downstream of the gate).
"""

import os

import tensorflow as tf
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import v1 as tfx
from tfx.types import Artifact, artifact_utils

from albert_keras.data.errors import DataError

ANOMALIES_FILE = "SchemaDiff.pb"


def read_anomalies(anomalies_artifact: Artifact) -> dict[str, anomalies_pb2.Anomalies]:
    """Returns `{split: anomalies_pb2.Anomalies}` of an ExampleAnomalies artifact."""
    result = {}
    for split in artifact_utils.decode_split_names(anomalies_artifact.split_names):
        path = os.path.join(artifact_utils.get_split_uri([anomalies_artifact], split), ANOMALIES_FILE)
        if not tf.io.gfile.exists(path):
            raise FileNotFoundError(f"ExampleValidator wrote no {ANOMALIES_FILE} for split {split!r}: {path}")
        with tf.io.gfile.GFile(path, "rb") as f:
            result[split] = anomalies_pb2.Anomalies.FromString(f.read())
    return result


def describe(anomalies_by_split: dict[str, anomalies_pb2.Anomalies]) -> list[str]:
    """One line per anomaly: ``split: feature: short description (details)``."""
    lines = []
    for split, anomalies in sorted(anomalies_by_split.items()):
        for feature, info in sorted(anomalies.anomaly_info.items()):
            detail = "; ".join(r.description for r in info.reason) or info.description
            lines.append(f"{split}: feature {feature!r}: {info.short_description} ({detail})")
        if anomalies.HasField("dataset_anomaly_info"):
            info = anomalies.dataset_anomaly_info
            lines.append(f"{split}: dataset: {info.short_description} ({info.description})")
    return lines


@tfx.dsl.components.component
def AnomaliesGate(
    anomalies: tfx.dsl.components.InputArtifact[tfx.types.standard_artifacts.ExampleAnomalies],
):
    """Raises `DataError` when any split has an anomaly (the examples do not match the curated schema)."""
    lines = describe(read_anomalies(anomalies))
    if lines:
        raise DataError(
            f"ExampleValidator found {len(lines)} anomal{'y' if len(lines) == 1 else 'ies'} "
            f"(see {anomalies.uri}); the run stops before training:\n  " + "\n  ".join(lines)
        )
