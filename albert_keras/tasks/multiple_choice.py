"""Multiple choice: one score per (context, choice) pair."""

from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf
from keras import ops

from albert_keras.models.backbone import AlbertBackbone
from albert_keras.tasks import decoding
from albert_keras.tasks.heads import head_dense, head_dropout
from albert_keras.tasks.task import AlbertTask, backbone_inputs

Tensor = Any  # a backend tf.Tensor, or a keras.KerasTensor while a functional model is built
Shape = tuple[int | None, ...]
CONTEXT = "context"  # raw-text feature: tf.string [batch]
CHOICES = "choices"  # raw-text feature: tf.string [batch, num_choices]


@keras.saving.register_keras_serializable(package="albert_keras")
class FoldChoices(keras.layers.Layer):
    """`[batch, num_choices, seq_len]` → `[batch * num_choices, seq_len]`."""

    def call(self, inputs: Tensor) -> Tensor:
        return ops.reshape(inputs, (-1, ops.shape(inputs)[-1]))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (None, input_shape[-1])


@keras.saving.register_keras_serializable(package="albert_keras")
class UnfoldChoices(keras.layers.Layer):
    """Scores `[batch * num_choices, 1]` → float32 `[batch, num_choices]`, using `like`'s choice axis."""

    def call(self, scores: Tensor, like: Tensor) -> Tensor:
        return ops.reshape(ops.cast(scores, "float32"), (-1, ops.shape(like)[1]))

    def compute_output_shape(self, scores_shape: Shape) -> Shape:
        return (None, None)

    def compute_output_spec(self, scores: keras.KerasTensor, like: keras.KerasTensor) -> keras.KerasTensor:
        return keras.KerasTensor((like.shape[0], like.shape[1]), dtype="float32")


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertMultipleChoice(AlbertTask):
    """Scores each choice with dropout + dense(1) on its pooled output.

    Inputs: token_ids, segment_ids, padding_mask, int32
    `[batch, num_choices, seq_len]`.

    Outputs: float32 logits `[batch, num_choices]`.

    Labels (y): int `[batch]`, the index of the right choice.

    Raw text (with a `preprocessor`): a dict `{"context": [batch],
    "choices": [batch, num_choices]}` or a tuple `(contexts, choices)`; each
    choice is packed as the pair (context, choice).

    Args:
        backbone: an `AlbertBackbone`.
        dropout: dropout rate before the scorer.
        **kwargs: `preprocessor` and base `keras.Model` arguments.
    """

    _task_args = ("dropout",)

    def __init__(self, backbone: AlbertBackbone, dropout: float = 0.1, **kwargs: Any) -> None:
        # === Layers ===
        self.backbone = backbone
        self.output_dropout = head_dropout(backbone, dropout)
        self.scorer = head_dense(backbone, 1, "choice_logits")
        # === Functional Model ===
        inputs = backbone_inputs(backbone, extra_rank=1)
        fold = FoldChoices(name="fold_choices")
        flat = {k: fold(v) for k, v in inputs.items()}
        pooled = backbone(flat)["pooled_output"]
        scores = self.scorer(self.output_dropout(pooled))
        outputs = UnfoldChoices(name="unfold_choices")(scores, next(iter(inputs.values())))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self.dropout = dropout

    def choose(
        self,
        context: str | Sequence[str],
        choices: Sequence[str] | Sequence[Sequence[str]],
        tokenizer: Any = None,
        sequence_length: int | None = None,
    ) -> list[float] | list[list[float]]:
        """The probability of each choice (the served `choose`).

        Args:
            context: a string, or a list of strings.
            choices: the choices of the context (a list of strings), or one
                such list per context; "" pads a shorter list.
            tokenizer: the tokenizer layer; defaults to the task's preprocessor's.
            sequence_length: T; defaults to the preprocessor's, else the
                backbone's `max_sequence_length`.

        Returns:
            The probabilities (one list per context, or one list for a single
            string), 0 for padding choices.
        """
        contexts, single = decoding.as_batch(context)
        rows = [list(choices)] if single else [list(c) for c in choices]
        width = max(1, max(len(r) for r in rows))
        padded = tf.constant([r + [""] * (width - len(r)) for r in rows], tf.string)
        out = decoding.choose(
            self,
            decoding.task_tokenizer(self, tokenizer),
            contexts,
            padded,
            decoding.task_sequence_length(self, sequence_length),
        )
        table = out["probabilities"].numpy()
        probabilities = [[float(p) for p in row[: len(r)]] for row, r in zip(table, rows, strict=True)]
        return probabilities[0] if single else probabilities

    def compile(
        self,
        optimizer: str | keras.optimizers.Optimizer = "auto",
        loss: Any = "auto",
        metrics: Any = "auto",
        **kwargs: Any,
    ) -> None:
        """Compiles with cross-entropy over choices and accuracy by default."""
        if optimizer == "auto":
            optimizer = keras.optimizers.AdamW(5e-5, weight_decay=0.01)
        if loss == "auto":
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if metrics == "auto":
            metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def _preprocess_texts(self, x: Any, y: Any = None, training: bool = False) -> tuple[dict[str, tf.Tensor], Any]:
        del training
        preprocessor = self._require_preprocessor()
        if isinstance(x, dict):
            missing = {CONTEXT, CHOICES} - set(x)
            if missing:
                raise ValueError(
                    f"Raw multiple-choice input must have the keys {sorted(missing)}. Received: {sorted(x)}"
                )
            context, choices = x[CONTEXT], x[CHOICES]
        elif isinstance(x, tuple) and len(x) == 2:
            context, choices = x
        else:
            raise ValueError(
                "Raw multiple-choice input must be `(contexts, choices)` or a dict with "
                f"{CONTEXT!r} and {CHOICES!r}. Received: a {type(x).__name__}"
            )
        choices = tf.convert_to_tensor(choices, tf.string)
        context = tf.convert_to_tensor(context, tf.string)
        num_choices = tf.shape(choices)[1]
        repeated = tf.reshape(tf.repeat(context[:, tf.newaxis], num_choices, axis=1), [-1])
        packed = preprocessor((repeated, tf.reshape(choices, [-1])))
        length = preprocessor.sequence_length
        return {k: tf.reshape(v, [-1, num_choices, length]) for k, v in packed.items()}, y
