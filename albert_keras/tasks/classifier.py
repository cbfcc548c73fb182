"""Sequence classification and regression on the pooled output."""

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.heads import head_dense, head_dropout
from albert_keras.tasks.task import AlbertTask, backbone_inputs


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertClassifier(AlbertTask):
    """Dropout + dense on the pooled output.

    Inputs: token_ids, segment_ids, padding_mask, int32 `[batch, seq_len]`.

    Outputs: float32 logits `[batch, num_classes]`; with `num_classes=1`
    and `regression=True` a real-valued score `[batch, 1]`.

    Args:
        backbone: an `AlbertBackbone`.
        num_classes: C (1 for regression).
        regression: train with mean squared error instead of cross-entropy.
        dropout: dropout rate before the dense layer (0.1 in the original).
        class_labels: optional list of C label strings, kept for export
            and used by `classify`.
        **kwargs: `preprocessor` and base `keras.Model` arguments.

    Raw text (with a `preprocessor`): `predict(texts)` gives the logits,
    `classify(texts)` the labels and scores (HF's text-classification
    format), `predict_labels(texts)` the best label of each text.
    """

    _task_args = ("num_classes", "regression", "dropout", "class_labels")

    def __init__(
        self,
        backbone: AlbertBackbone,
        num_classes: int,
        regression: bool = False,
        dropout: float = 0.1,
        class_labels: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if num_classes < 1 or (regression and num_classes != 1):
            raise ValueError(
                "`num_classes` must be >= 1, and 1 for regression. "
                f"Received: num_classes={num_classes}, regression={regression}"
            )
        if class_labels is not None and len(class_labels) != num_classes:
            raise ValueError(
                f"`class_labels` must have `num_classes` entries. Received: {len(class_labels)} labels, "
                f"num_classes={num_classes}"
            )
        # === Layers ===
        self.backbone = backbone
        self.output_dropout = head_dropout(backbone, dropout)
        self.output_dense = head_dense(backbone, num_classes, "logits")
        # === Functional Model ===
        inputs = backbone_inputs(backbone)
        pooled = backbone(inputs)["pooled_output"]
        outputs = self.output_dense(self.output_dropout(pooled))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self.num_classes = num_classes
        self.regression = regression
        self.dropout = dropout
        self.class_labels = list(class_labels) if class_labels is not None else None

    def compile(
        self,
        optimizer: str | keras.optimizers.Optimizer = "auto",
        loss: Any = "auto",
        metrics: Any = "auto",
        **kwargs: Any,
    ) -> None:
        """Compiles with cross-entropy (or MSE for regression) and accuracy by default.

        Args:
            optimizer: "auto" gives AdamW at 5e-5.
            loss: "auto" picks the loss for the task.
            metrics: "auto" gives accuracy (or MAE for regression).
            **kwargs: passed to `keras.Model.compile`.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.AdamW(5e-5, weight_decay=0.01)
        if loss == "auto":
            loss = "mse" if self.regression else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if metrics == "auto":
            metrics = ["mae"] if self.regression else [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    @property
    def labels(self) -> list[str]:
        """The label strings: `class_labels`, else "0".."C-1"."""
        if self.class_labels is None:
            return [str(i) for i in range(self.num_classes)]
        return [str(label) for label in self.class_labels]

    def classify(self, texts: Any, top_k: int | None = 1, batch_size: int | None = None) -> list:
        """Labels raw text, in the format of HF's text-classification pipeline.

        Args:
            texts: a string, a list of strings, or pairs (a tuple
                `(texts, texts_b)` or a dict with `text` and `text_b`).
            top_k: labels per text, best first; None gives all of them.
            batch_size: texts per model call.

        Returns:
            With `top_k=1`, one `{"label", "score"}` per text (a list of one
            for a single string); otherwise a list of them per text (the list
            alone for a single string). Scores are softmax probabilities
            (a sigmoid for one non-regression class; the raw value for
            regression, labelled with the first label).
        """
        single = isinstance(texts, str)
        rows = []
        for _, logits in self._predict_batches(texts, batch_size=batch_size):
            rows.extend(self._label_scores(np.asarray(logits, np.float64)))
        k = len(self.labels) if top_k is None else top_k
        ranked = [sorted(row, key=lambda c: -c["score"])[:k] for row in rows]
        if top_k == 1:
            return [row[0] for row in ranked]
        return ranked[0] if single else ranked

    def predict_labels(self, texts: Any, batch_size: int | None = None) -> list[str]:
        """The best label of each raw text (see `classify`)."""
        return [row["label"] for row in self.classify(texts, top_k=1, batch_size=batch_size)]

    def _label_scores(self, logits: np.ndarray) -> list[list[dict[str, Any]]]:
        labels = self.labels
        if self.regression:
            scores = logits
        elif self.num_classes == 1:
            scores = 1.0 / (1.0 + np.exp(-logits))
        else:
            shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
            scores = shifted / shifted.sum(axis=-1, keepdims=True)
        return [[{"label": labels[j], "score": float(row[j])} for j in range(len(labels))] for row in scores]
