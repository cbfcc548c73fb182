"""Evaluator module (`module_path`): TFMA loads the SavedModel with the TF Text ops registered.

The exported SavedModel tokenizes in-graph with TF Text ops
(`SentencepieceOp`, `RegexSplitWithOffsets`, ...). TFMA loads the model in
the Beam workers, fresh processes that never imported `tensorflow_text`, and
`tf.saved_model.load` would fail there with "Op type not registered". This
module imports `tensorflow_text`, and `custom_eval_shared_model` wraps
TFMA's model constructor in `TextOpsConstructFn`: unpickling it in a worker
imports this module (registering the ops) and the call imports it again
before loading, whatever the runner.
"""

from collections.abc import Callable
from typing import Any

import tensorflow_model_analysis as tfma
import tensorflow_text  # noqa: F401  registers the TF Text ops


class TextOpsConstructFn:
    """Calls TFMA's model constructor after registering the TF Text ops.

    Args:
        construct_fn: the constructor of `tfma.default_eval_shared_model`.
    """

    def __init__(self, construct_fn: Callable[[], Any]) -> None:
        self._construct_fn = construct_fn

    def __call__(self):

        return self._construct_fn()


def custom_eval_shared_model(
    eval_saved_model_path: str, model_name: str, eval_config: tfma.EvalConfig, **kwargs: Any
) -> tfma.types.EvalSharedModel:
    """TFX Evaluator hook: TFMA's default shared model, loaded with TF Text ops."""
    shared = tfma.default_eval_shared_model(
        eval_saved_model_path=eval_saved_model_path, model_name=model_name, eval_config=eval_config, **kwargs
    )
    loader = shared.model_loader
    return shared._replace(
        model_loader=tfma.types.ModelLoader(construct_fn=TextOpsConstructFn(loader.construct_fn), tags=loader.tags)
    )
