"""Feature keys of the pipeline's raw examples (re-exported from albert_keras).

Ingestion writes `tf.Example`s with `TEXT` (bytes) and, for fine-tuning,
`LABEL` (bytes); the curated schemas under configs/pipeline/schema/ and the
serving signature `serving_default` use the same names.
"""

from albert_keras.features import LABEL, TEXT, TEXT_B  # noqa: F401

TRAIN_SPLIT = "train"
EVAL_SPLIT = "eval"
SPLITS = (TRAIN_SPLIT, EVAL_SPLIT)
