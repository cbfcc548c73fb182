"""Export to TF Serving: SavedModels with in-graph tokenization.

    from albert_keras.export import export_saved_model
    export_saved_model("runs/cls/model", "serving/albert/1", top_k=5, sequence_length=128)

See docs/export.md for the signatures and conventions.
"""

from albert_keras.export.exporter import export_saved_model, set_method_name
from albert_keras.export.module import (
    CLASSIFY,
    EMBED,
    EXAMPLES_KEY,
    FILL_MASK,
    REGRESS,
    SERVING_DEFAULT,
    AlbertServingModule,
)
from albert_keras.export.op_allowlist import TF_TEXT_2_12_OPS, check_ops, saved_model_ops

__all__ = [
    "export_saved_model",
    "check_ops",
    "saved_model_ops",
    "set_method_name",
    "AlbertServingModule",
    "TF_TEXT_2_12_OPS",
    "FILL_MASK",
    "EMBED",
    "CLASSIFY",
    "REGRESS",
    "SERVING_DEFAULT",
    "EXAMPLES_KEY",
]
