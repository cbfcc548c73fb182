"""ALBERT pretraining: masked-LM plus sentence-order prediction."""

from typing import Any

import keras
from keras import ops

from albert_keras import features
from albert_keras.layers.masked_lm_head import MaskedLMHead
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks.heads import head_dense
from albert_keras.tasks.losses import scale_for_distribution, weighted_accuracy, weighted_sparse_ce
from albert_keras.tasks.task import AlbertTask, backbone_inputs

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertPretrainer(AlbertTask):
    """MLM + SOP pretraining model. The loss is the sum of both.

    Inputs (x, dict):
        token_ids, segment_ids, padding_mask: int32 `[batch, seq_len]`.
        mask_positions: int32 `[batch, num_predictions]`.

    Labels (y, dict, for `fit`/`evaluate`):
        mlm_ids: int32 `[batch, num_predictions]`.
        mlm_weights: float32 `[batch, num_predictions]` (0 on padding
            predictions; honoured by the loss and the metrics).
        sop_label: int32 `[batch]`, 1 = swapped, 0 = in order.

    Outputs (dict):
        mlm_logits: float32 `[batch, num_predictions, vocabulary_size]`.
        sop_logits: float32 `[batch, 2]`.

    Metrics: loss, mlm_loss, sop_loss, mlm_accuracy, sop_accuracy.

    Args:
        backbone: an `AlbertBackbone`.
    """

    def __init__(self, backbone: AlbertBackbone, **kwargs: Any) -> None:
        # === Layers ===
        self.backbone = backbone
        # brightmart's layout decodes through the E→H projection too (see `MaskedLMHead`).
        token_only = getattr(backbone, "embedding_projection", "after_norm") == "token_only"
        self.mlm_head = MaskedLMHead(
            backbone.vocabulary_size,
            backbone.embedding_dim,
            activation=backbone.activation,
            layer_norm_epsilon=backbone.layer_norm_epsilon,
            initializer_range=backbone.initializer_range,
            token_embedding=backbone.token_embedding,
            hidden_dim=backbone.hidden_dim if token_only else None,
            embeddings_projection=backbone.embeddings_projection if token_only else None,
            dtype=backbone.dtype_policy,
            name="mlm_head",
        )
        self.sop_head = head_dense(backbone, 2, "sop_head")

        # === Functional Model ===
        inputs = backbone_inputs(backbone)
        inputs[features.MASK_POSITIONS] = keras.Input(shape=(None,), dtype="int32", name=features.MASK_POSITIONS)
        encoded = backbone({k: inputs[k] for k in backbone.input})
        outputs = {
            "mlm_logits": self.mlm_head(encoded["sequence_output"], inputs[features.MASK_POSITIONS]),
            "sop_logits": self.sop_head(encoded["pooled_output"]),
        }
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Metrics ===
        self.mlm_loss_tracker = keras.metrics.Mean(name="mlm_loss")
        self.sop_loss_tracker = keras.metrics.Mean(name="sop_loss")
        self.mlm_accuracy_tracker = keras.metrics.Mean(name="mlm_accuracy")
        self.sop_accuracy_tracker = keras.metrics.Mean(name="sop_accuracy")

    def compile(self, optimizer: str | keras.optimizers.Optimizer = "auto", **kwargs: Any) -> None:
        """Compiles with the built-in MLM + SOP loss (no `loss` argument needed).

        Args:
            optimizer: an optimizer; "auto" gives LAMB at 1e-3.
            **kwargs: passed to `keras.Model.compile` (e.g. `jit_compile`).
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.Lamb(learning_rate=1e-3, epsilon=1e-6)
        super().compile(optimizer=optimizer, **kwargs)

    def compute_loss(
        self,
        x: dict[str, Tensor] | None = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Tensor | None = None,
        training: bool = True,
    ) -> Tensor:
        del x, sample_weight, training
        missing = {features.MLM_IDS, features.MLM_WEIGHTS, features.SOP_LABEL} - set(y or {})
        if missing:
            raise ValueError(f"`AlbertPretrainer` labels need keys {sorted(missing)}. Received: {sorted(y or {})}")
        weights = ops.cast(y[features.MLM_WEIGHTS], "float32")
        mlm_loss = weighted_sparse_ce(y[features.MLM_IDS], y_pred["mlm_logits"], weights)
        sop_labels = ops.reshape(y[features.SOP_LABEL], (-1,))
        sop_weights = ops.ones_like(ops.cast(sop_labels, "float32"))
        sop_loss = weighted_sparse_ce(sop_labels, y_pred["sop_logits"], sop_weights) * (
            1.0 + 1e-5 / ops.sum(sop_weights)
        )
        self.mlm_loss_tracker.update_state(mlm_loss)
        self.sop_loss_tracker.update_state(sop_loss)
        correct, total = weighted_accuracy(y[features.MLM_IDS], y_pred["mlm_logits"], weights)
        self.mlm_accuracy_tracker.update_state(correct / ops.maximum(total, 1.0), sample_weight=total)
        correct, total = weighted_accuracy(sop_labels, y_pred["sop_logits"], sop_weights)
        self.sop_accuracy_tracker.update_state(correct / total, sample_weight=total)
        total_loss = mlm_loss + sop_loss
        for extra in self.losses:
            total_loss = total_loss + ops.cast(extra, "float32")
        return scale_for_distribution(total_loss)
