"""Token classification (tagging) on the sequence output."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from albert_keras import features
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.heads import head_dense, head_dropout
from albert_keras.tasks.losses import scale_for_distribution, weighted_accuracy, weighted_sparse_ce
from albert_keras.tasks.task import AlbertTask, backbone_inputs

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertTokenClassifier(AlbertTask):
    """Dropout + dense on every token.

    Inputs: token_ids, segment_ids, padding_mask, int32 `[batch, seq_len]`.

    Outputs: float32 logits `[batch, seq_len, num_classes]`.

    Labels (y): int `[batch, seq_len]`; negative labels (e.g. -100 on
    continuation pieces and special tokens) and padding are ignored by the
    loss and the accuracy.

    Args:
        backbone: an `AlbertBackbone`.
        num_classes: the number of tags.
        dropout: dropout rate before the dense layer.
        class_labels: optional list of tag strings.
    """

    _task_args = ("num_classes", "dropout", "class_labels")

    def __init__(
        self,
        backbone: AlbertBackbone,
        num_classes: int,
        dropout: float = 0.1,
        class_labels: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if num_classes < 2:
            raise ValueError(f"`num_classes` must be >= 2. Received: num_classes={num_classes}")
        # === Layers ===
        self.backbone = backbone
        self.output_dropout = head_dropout(backbone, dropout)
        self.output_dense = head_dense(backbone, num_classes, "logits")
        # === Functional Model ===
        inputs = backbone_inputs(backbone)
        sequence = backbone(inputs)["sequence_output"]
        outputs = self.output_dense(self.output_dropout(sequence))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self.num_classes = num_classes
        self.dropout = dropout
        self.class_labels = list(class_labels) if class_labels is not None else None
        self.accuracy_tracker = keras.metrics.Mean(name="accuracy")

    def compile(self, optimizer: str | keras.optimizers.Optimizer = "auto", **kwargs: Any) -> None:
        """Compiles with the built-in masked token loss; "auto" gives AdamW at 5e-5."""
        if optimizer == "auto":
            optimizer = keras.optimizers.AdamW(5e-5, weight_decay=0.01)
        super().compile(optimizer=optimizer, **kwargs)

    def compute_loss(
        self,
        x: dict[str, Tensor] | None = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Tensor | None = None,
        training: bool = True,
    ) -> Tensor:
        labels = ops.cast(y, "int32")
        weights = ops.cast(labels >= 0, "float32") * ops.cast(x[features.PADDING_MASK], "float32")
        if sample_weight is not None:
            weights = weights * ops.cast(sample_weight, "float32")
        labels = ops.maximum(labels, 0)
        loss = weighted_sparse_ce(labels, y_pred, weights)
        correct, total = weighted_accuracy(labels, y_pred, weights)
        self.accuracy_tracker.update_state(correct / ops.maximum(total, 1.0), sample_weight=total)
        return scale_for_distribution(loss)
