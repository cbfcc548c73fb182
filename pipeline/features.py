"""Feature keys of the pipeline's raw examples (re-exported from albert_keras).

Ingestion writes `tf.Example`s with `TEXT` (bytes) and, for fine-tuning,
`LABEL` (bytes); the curated schemas under configs/pipeline/schema/ and the
serving signature `serving_default` use the same names. The split names are
those of the one hash split, `albert_keras.data.splits`.
"""

from albert_keras.data.splits import EVAL as EVAL_SPLIT  # noqa: F401
from albert_keras.data.splits import SPLITS  # noqa: F401
from albert_keras.data.splits import TRAIN as TRAIN_SPLIT  # noqa: F401
from albert_keras.features import LABEL, TEXT, TEXT_B  # noqa: F401
