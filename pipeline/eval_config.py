"""The TFMA EvalConfig of the fine-tuning pipeline's Evaluator.

TFMA runs the exported SavedModel's `serving_default` signature (serialized
`tf.Example` in; `scores` and `classes` out) as a `tf_generic` model; string
labels are mapped to class ids through `classes`. Accuracy must reach
`min_accuracy` and may not fall more than `max_accuracy_drop` below the
latest blessed model's (the baseline; the first run has none and only the
value threshold applies).
"""

import tensorflow_model_analysis as tfma

from pipeline import features

ACCURACY = "sparse_categorical_accuracy"


def classification_eval_config(min_accuracy: float, max_accuracy_drop: float) -> tfma.EvalConfig:
    """Returns the `tfma.EvalConfig` (see the module docstring)."""
    threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": float(min_accuracy)}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
            absolute={"value": -float(max_accuracy_drop)},
        ),
    )
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                signature_name="serving_default",
                label_key=features.LABEL,
                model_type="tf_generic",
                preprocessing_function_names=[],
            )
        ],
        slicing_specs=[tfma.SlicingSpec()],
        metrics_specs=[
            tfma.MetricsSpec(
                metrics=[
                    tfma.MetricConfig(class_name="ExampleCount"),
                    tfma.MetricConfig(class_name="SparseCategoricalAccuracy", threshold=threshold),
                ]
            )
        ],
    )
