"""Token classification (tagging) on the sequence output."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from albert_keras import features
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks import decoding
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

    def tag(
        self, text: str | Sequence[str], tokenizer: Any = None, sequence_length: int | None = None
    ) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
        """Named entities of raw texts (the served `tag`): BIO decoding of the word labels.

        Words are split at whitespace and every CJK character is a word, as
        in the CoNLL reader; a word's label is its first piece's.

        Args:
            text: a string or a list of strings.
            tokenizer: the tokenizer layer; defaults to the task's preprocessor's.
            sequence_length: T; defaults to the preprocessor's, else the
                backbone's `max_sequence_length`.

        Returns:
            For each text (one list for a single string), its entities
            `{"label": str, "text": str, "start": int, "end": int, "score": float}`
            with `text[start:end] == entity text`; labels are `class_labels`
            without the ``B-``/``I-`` prefix.
        """
        texts, single = decoding.as_batch(text)
        labels = self.class_labels or [str(i) for i in range(self.num_classes)]
        out = decoding.tag(
            self,
            decoding.task_tokenizer(self, tokenizer),
            texts,
            decoding.task_sequence_length(self, sequence_length),
            labels,
        )
        out = {k: v.numpy() for k, v in out.items()}
        results = [
            [
                {
                    "label": out["entity_labels"][i, j].decode("utf-8"),
                    "text": out["entity_texts"][i, j].decode("utf-8"),
                    "start": int(out["entity_starts"][i, j]),
                    "end": int(out["entity_ends"][i, j]),
                    "score": float(out["entity_scores"][i, j]),
                }
                for j in range(int(out["num_entities"][i]))
            ]
            for i in range(len(out["num_entities"]))
        ]
        return results[0] if single else results

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
