"""Extractive span QA (SQuAD v1.1 and v2.0) on the sequence output."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from albert_keras import features
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks import decoding
from albert_keras.tasks.heads import head_dense
from albert_keras.tasks.losses import scale_for_distribution, weighted_sparse_ce
from albert_keras.tasks.task import AlbertTask, backbone_inputs

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertQuestionAnswerer(AlbertTask):
    """Start/end logits per token, plus a no-answer score for SQuAD v2.

    Inputs: token_ids, segment_ids, padding_mask, int32 `[batch, seq_len]`
    (question as segment A, context as segment B).

    Outputs (dict):
        start_logits: float32 `[batch, seq_len]`, -10000 added on padding.
        end_logits: float32 `[batch, seq_len]`.
        answerable_logits: float32 `[batch]`, > 0 when the model thinks
            the context answers the question (dense on the pooled output).

    Labels (y, dict): `start_positions`, `end_positions` int `[batch]`
    (0, the [CLS] token, for unanswerable questions) and optionally
    `is_impossible` `[batch]` in {0, 1}, which trains `answerable_logits`.

    Args:
        backbone: an `AlbertBackbone`.
    """

    def __init__(self, backbone: AlbertBackbone, **kwargs: Any) -> None:
        # === Layers ===
        self.backbone = backbone
        self.span_dense = head_dense(backbone, 2, "span_logits")
        self.answerable_dense = head_dense(backbone, 1, "answerable")
        # === Functional Model ===
        inputs = backbone_inputs(backbone)
        encoded = backbone(inputs)
        spans = self.span_dense(encoded["sequence_output"])
        pad_bias = (1.0 - ops.cast(inputs[features.PADDING_MASK], "float32")) * -10000.0
        outputs = {
            "start_logits": ops.cast(spans[..., 0], "float32") + pad_bias,
            "end_logits": ops.cast(spans[..., 1], "float32") + pad_bias,
            "answerable_logits": ops.cast(self.answerable_dense(encoded["pooled_output"])[..., 0], "float32"),
        }
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    def answer_question(
        self,
        question: str | Sequence[str],
        context: str | Sequence[str],
        tokenizer: Any = None,
        sequence_length: int | None = None,
        max_answer_length: int = decoding.DEFAULT_MAX_ANSWER_LENGTH,
    ) -> dict[str, Any] | list[dict[str, Any]]:
        """Answers questions about contexts, SQuAD 2.0 style (the served `answer_question`).

        Args:
            question: a string or a list of strings.
            context: a string or a list (one per question).
            tokenizer: the tokenizer layer; defaults to the task's preprocessor's.
            sequence_length: T; defaults to the preprocessor's, else the
                backbone's `max_sequence_length`. Longer contexts are truncated.
            max_answer_length: the most tokens an answer may have.

        Returns:
            For each question (a single dict for a single string):
            `{"answer": str, "start": int, "end": int, "score": float,
            "no_answer_score": float}`; `context[start:end] == answer`, and
            `answer == ""`, `start == end == -1` when the null answer wins.
        """
        questions, single = decoding.as_batch(question)
        contexts, _ = decoding.as_batch(context)
        out = decoding.answer_question(
            self,
            decoding.task_tokenizer(self, tokenizer),
            questions,
            contexts,
            decoding.task_sequence_length(self, sequence_length),
            max_answer_length,
        )
        out = {k: v.numpy() for k, v in out.items()}
        results = [
            {
                "answer": out["answer"][i].decode("utf-8"),
                "start": int(out["start"][i]),
                "end": int(out["end"][i]),
                "score": float(out["score"][i]),
                "no_answer_score": float(out["no_answer_score"][i]),
            }
            for i in range(len(out["answer"]))
        ]
        return results[0] if single else results

    def compile(self, optimizer: str | keras.optimizers.Optimizer = "auto", **kwargs: Any) -> None:
        """Compiles with the built-in span loss; "auto" gives AdamW at 5e-5."""
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
        missing = {"start_positions", "end_positions"} - set(y or {})
        if missing:
            raise ValueError(f"`AlbertQuestionAnswerer` labels need keys {sorted(missing)}. Received: {sorted(y)}")
        start = ops.reshape(y["start_positions"], (-1, 1))
        end = ops.reshape(y["end_positions"], (-1, 1))
        ones = ops.ones_like(ops.cast(start, "float32"))
        loss = 0.5 * (
            weighted_sparse_ce(start, ops.expand_dims(y_pred["start_logits"], 1), ones)
            + weighted_sparse_ce(end, ops.expand_dims(y_pred["end_logits"], 1), ones)
        )
        if "is_impossible" in y:
            target = ops.cast(ops.reshape(y["is_impossible"], (-1,)), "float32")
            answerable = 1.0 - target
            loss = loss + ops.mean(
                keras.losses.binary_crossentropy(
                    ops.expand_dims(answerable, -1), ops.expand_dims(y_pred["answerable_logits"], -1), from_logits=True
                )
            )
        return scale_for_distribution(loss)
