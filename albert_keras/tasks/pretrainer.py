"""ALBERT pretraining: masked-LM plus sentence-order prediction."""

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from albert_keras import features
from albert_keras.layers.masked_lm_head import MaskedLMHead
from albert_keras.masking.dynamic_masking import dynamic_mask
from albert_keras.masking.word_boundaries import word_start_table, word_starts_in_graph
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks import fill_mask as fill_mask_lib
from albert_keras.tasks.heads import head_dense
from albert_keras.tasks.losses import scale_for_distribution, weighted_accuracy, weighted_sparse_ce
from albert_keras.tasks.task import AlbertTask, backbone_inputs, trim_padding

# Predictions per sequence of raw-text batches (ALBERT's max_predictions_per_seq).
MAX_PREDICTIONS = 20

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

    Raw text (with a `preprocessor`): `predict(texts)` predicts at each
    literal ``[MASK]`` (up to `MAX_PREDICTIONS` per text, `mask_positions`
    0-padded); `fit(texts)` and `evaluate(texts)` draw fresh whole-word
    masks for every batch (`dynamic_mask`) and, for pairs `(text, text_b)`,
    swap half of them for SOP (single texts give `sop_label` 0).
    `fill_mask(texts)` decodes like HF's fill-mask pipeline.

    Args:
        backbone: an `AlbertBackbone`.
        **kwargs: `preprocessor` and base `keras.Model` arguments.
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

    # === Raw text ===

    def _word_starts(self) -> np.ndarray:
        tokenizer = self._require_preprocessor().tokenizer
        cached = getattr(self, "_word_start_cache", None)
        if cached is None or cached[0] != id(tokenizer):
            cached = (id(tokenizer), word_start_table(tokenizer))
            self._word_start_cache = cached
        return cached[1]

    def _preprocess_texts(self, x: Any, y: Any = None, training: bool = False) -> tuple[dict[str, tf.Tensor], Any]:
        preprocessor = self._require_preprocessor()
        special = preprocessor.tokenizer.special_ids
        if not training or y is not None:
            packed = dict(preprocessor(x))
            packed[features.MASK_POSITIONS] = _mask_positions_in_graph(
                packed[features.TOKEN_IDS], special.mask, MAX_PREDICTIONS
            )
            return packed, y
        text, text_b = _text_pair(x)
        if text_b is None:
            packed = preprocessor(text)
            sop_label = tf.zeros_like(packed[features.TOKEN_IDS][:, 0])
        else:
            swap = tf.random.uniform(tf.shape(text)) < 0.5
            packed = preprocessor((tf.where(swap, text_b, text), tf.where(swap, text, text_b)))
            sop_label = tf.cast(swap, tf.int32)
        starts = word_starts_in_graph(
            packed[features.TOKEN_IDS], packed[features.PADDING_MASK], self._word_starts(), special
        )
        seed = tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int64)
        masked = dynamic_mask(
            packed[features.TOKEN_IDS], packed[features.PADDING_MASK], starts, seed,
            vocab_size=self.backbone.vocabulary_size, max_predictions=MAX_PREDICTIONS, special_ids=special,
        )
        inputs = {
            features.TOKEN_IDS: masked[features.TOKEN_IDS],
            features.SEGMENT_IDS: packed[features.SEGMENT_IDS],
            features.PADDING_MASK: packed[features.PADDING_MASK],
            features.MASK_POSITIONS: masked[features.MASK_POSITIONS],
        }
        labels = {
            features.MLM_IDS: masked[features.MLM_IDS],
            features.MLM_WEIGHTS: masked[features.MLM_WEIGHTS],
            features.SOP_LABEL: sop_label,
        }
        return inputs, labels

    def _token_str(self, token_id: int) -> str:
        tokenizer = self.preprocessor.tokenizer
        return fill_mask_lib.piece_text(tokenizer.id_to_piece(token_id), wordpiece=not hasattr(tokenizer, "proto"))

    def _target_ids(self, targets: str | Sequence[str]) -> list[int]:
        tokenizer = self.preprocessor.tokenizer
        special = tokenizer.special_ids
        targets = [targets] if isinstance(targets, str) else list(targets)
        if not targets:
            raise ValueError("`targets` must name at least one token. Received: []")
        ids = []
        for target in targets:
            token_id = tokenizer.token_to_id(target)
            if token_id == special.unk and target != special.unk_token:
                # Not a piece as written (e.g. "the" for "▁the"): its first piece, as HF takes.
                pieces = [int(i) for i in np.asarray(tokenizer.tokenize(tf.constant([target]))[0])]
                pieces = [i for i in pieces if tokenizer.id_to_piece(i) != "\u2581"]
                if not pieces:
                    raise ValueError(f"`targets` must be tokens of the vocabulary. Received: {target!r}")
                token_id = pieces[0]
            if token_id not in ids:
                ids.append(int(token_id))
        return ids

    def fill_mask(
        self,
        texts: str | Sequence[str],
        top_k: int = 5,
        targets: str | Sequence[str] | None = None,
        batch_size: int = 32,
    ) -> list:
        """Predicts each ``[MASK]`` of raw text, in the format of HF's fill-mask pipeline.

        Args:
            texts: a string or a list of strings, each with at least one
                ``[MASK]`` (several are allowed).
            top_k: candidates per mask (capped at the number of targets).
            targets: optional tokens (a string or a list) to restrict the
                candidates to; a target that is not a vocabulary piece as
                written stands for its first piece (``"the"`` → ``▁the``).
            batch_size: texts per model call.

        Returns:
            See `albert_keras.tasks.fill_mask`: for one text with one mask a
            list of `{score, token, token_id, token_str, sequence}`; with
            several masks a list of such lists; for several texts a list of
            those, one per text.

        Raises:
            ValueError: no preprocessor, a text without ``[MASK]``, a bad
                `top_k` or an unknown target.
        """
        preprocessor = self._require_preprocessor()
        if not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"`top_k` must be an int >= 1. Received: top_k={top_k!r}")
        single = isinstance(texts, str)
        texts = [texts] if single else [str(t) for t in texts]
        special = preprocessor.tokenizer.special_ids
        target_ids = None if targets is None else self._target_ids(targets)
        per_text = []
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            inputs = {k: np.asarray(v) for k, v in preprocessor(tf.constant(batch)).items()}
            positions, counts = fill_mask_lib.mask_positions(inputs[features.TOKEN_IDS], special.mask)
            for text, count in zip(batch, counts, strict=True):
                if count == 0:
                    raise ValueError(
                        f"Every text must hold {special.mask_token} (within the first "
                        f"{preprocessor.sequence_length} tokens). Received: {text!r}"
                    )
            inputs[features.MASK_POSITIONS] = positions
            logits = np.asarray(self(trim_padding(inputs), training=False)["mlm_logits"], np.float32)
            for row, (text, count) in enumerate(zip(batch, counts, strict=True)):
                per_text.append([
                    fill_mask_lib.candidates(
                        logits[row, j], text, j, top_k, self._token_str, special.mask_token, target_ids,
                        vocabulary_size=preprocessor.tokenizer.vocabulary_size(),
                    )
                    for j in range(count)
                ])
        return fill_mask_lib.nest(per_text, single)

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


def _text_pair(x: Any) -> tuple[tf.Tensor, tf.Tensor | None]:
    """`(text, text_b or None)` of raw-text input: a tensor, a tuple or a dict."""
    if isinstance(x, dict):
        return x[features.TEXT], x.get(features.TEXT_B)
    if isinstance(x, tuple):
        return x[0], (x[1] if len(x) > 1 else None)
    return x, None


def _mask_positions_in_graph(token_ids: tf.Tensor, mask_id: int, width: int) -> tf.Tensor:
    """The positions of `mask_id` in each row, ascending, 0-padded to `width`: int32 `[batch, width]`."""
    length = tf.shape(token_ids)[-1]
    index = tf.broadcast_to(tf.range(length), tf.shape(token_ids))
    key = tf.where(token_ids == mask_id, index, length + index)  # masks first, in order
    ordered = tf.sort(key, axis=-1)
    pad = tf.maximum(width - length, 0)
    ordered = tf.pad(ordered, [[0, 0], [0, pad]], constant_values=2 * length)[:, :width]
    return tf.where(ordered < length, ordered, 0)
