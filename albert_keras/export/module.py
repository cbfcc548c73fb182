"""`AlbertServingModule`: the `tf.Module` that is saved as the SavedModel.

It holds the Keras 3 task model, the in-graph tokenizer (`AlbertTokenizer`
or `WordPieceTokenizer`, as the model dir has; inside an
`AlbertPreprocessor`, the same code path as training) and the serving
functions. `signatures()` gives the concrete functions that become the
SavedModel's `SignatureDef`s; the attributes `fill_mask`, `embed`,
`classify` / `regress` are `tf.function`s for Python and
`keras.layers.TFSMLayer` users (they take a string tensor `[B]` or a dict
`{"text": [B], "text_b": [B]}`).

Conventions (see docs/export.md):

* Every text signature takes `text` and `text_b`, both string `[B]`. A row
  whose `text_b` is the empty string is packed as one segment
  ``[CLS] text [SEP]``; otherwise ``[CLS] text [SEP] text_b [SEP]``.
* Overlong input is truncated (the longer segment first) to the export's
  sequence length, never rejected; an empty `text` gives ``[CLS] [SEP]``.
* `fill_mask` reports M = max(1, most [MASK] tokens in a row of the batch)
  masks per row; the padding masks have position -1, ids -1, tokens "" and
  scores 0.
"""

from typing import Any

import keras
import tensorflow as tf

from albert_keras import features
from albert_keras.models.backbone import AlbertBackbone
from albert_keras.preprocessing.packer import pack
from albert_keras.preprocessing.preprocessor import AlbertPreprocessor
from albert_keras.tasks.classifier import AlbertClassifier
from albert_keras.tasks.pretrainer import AlbertPretrainer

# Signature names.
FILL_MASK = "fill_mask"
EMBED = "embed"
CLASSIFY = "classify"
REGRESS = "regress"
SERVING_DEFAULT = "serving_default"

# The input of serving_default: serialized tf.Examples. TF Serving's
# Classify/Regress APIs require this exact key ("inputs").
EXAMPLES_KEY = "inputs"

CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
PREDICT_METHOD = "tensorflow/serving/predict"

# Padding values of fill_mask rows with fewer masks than M.
PAD_POSITION = -1
PAD_ID = -1
PAD_TOKEN = ""
PAD_SCORE = 0.0

TEXT_SPEC = tf.TensorSpec([None], tf.string, name=features.TEXT)
TEXT_B_SPEC = tf.TensorSpec([None], tf.string, name=features.TEXT_B)
EXAMPLES_SPEC = tf.TensorSpec([None], tf.string, name=EXAMPLES_KEY)

PRETRAINER = "pretrainer"
CLASSIFIER = "classifier"
REGRESSOR = "regressor"
ENCODER = "encoder"


def model_kind(model: keras.Model) -> str:
    """"pretrainer", "classifier", "regressor" or "encoder" (embed only)."""
    if isinstance(model, AlbertPretrainer):
        return PRETRAINER
    if isinstance(model, AlbertClassifier):
        return REGRESSOR if model.regression else CLASSIFIER
    return ENCODER


def class_labels_of(model: keras.Model) -> list[str]:
    """The classifier's label strings (its `class_labels`, else "0".."C-1")."""
    labels = getattr(model, "class_labels", None)
    if labels is None:
        labels = [str(i) for i in range(model.num_classes)]
    return [str(label) for label in labels]


class AlbertServingModule(tf.Module):
    """The exported object: model + preprocessor + serving functions.

    Args:
        model: an `AlbertPretrainer`, `AlbertClassifier`, another task model
            or an `AlbertBackbone` (embed only).
        preprocessor: an `AlbertPreprocessor` (tokenizer + sequence length).
        top_k: K of `fill_mask` (capped at the vocabulary size).
    """

    def __init__(self, model: keras.Model, preprocessor: AlbertPreprocessor, top_k: int = 5) -> None:
        super().__init__(name="albert_serving")
        self.model = model
        self.preprocessor = preprocessor
        self.kind = model_kind(model)
        self.backbone = model if isinstance(model, AlbertBackbone) else model.backbone
        self.sequence_length = preprocessor.sequence_length
        if not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"top_k must be a positive int, got {top_k!r}")
        self.top_k = min(top_k, self.backbone.vocabulary_size)
        self.labels = class_labels_of(model) if self.kind == CLASSIFIER else None
        self.signatures_names = ()
        if self.labels is not None:
            self._labels = tf.constant(self.labels, tf.string)

        # One traced body per endpoint: `_<name>_fn({"text", "text_b"})`. The
        # attribute `<name>` (for Python and TFSMLayer) and the signature
        # `<name>` are thin wrappers that call it.
        pair_spec = {features.TEXT: TEXT_SPEC, features.TEXT_B: TEXT_B_SPEC}
        for name in self.endpoint_names():
            body = getattr(self, "_" + name)
            core = tf.function(_pair_body(body))
            core.get_concrete_function(pair_spec)
            setattr(self, f"_{name}_fn", core)
            entry = tf.function(_entry(core))
            entry.get_concrete_function(TEXT_SPEC)
            entry.get_concrete_function(pair_spec)
            setattr(self, name, entry)

    # === Public ===

    def endpoint_names(self) -> list[str]:
        """The text endpoints (signature and attribute names) of this model."""
        names = {PRETRAINER: [FILL_MASK], CLASSIFIER: [CLASSIFY], REGRESSOR: [REGRESS], ENCODER: []}[self.kind]
        return names + [EMBED]

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures, by name.

        The text signatures take `text` and `text_b`; `serving_default` takes
        serialized tf.Examples (`inputs`).
        """
        result = {}
        for name in self.endpoint_names():
            core = getattr(self, f"_{name}_fn")
            result[name] = tf.function(_signature(core)).get_concrete_function(TEXT_SPEC, TEXT_B_SPEC)
        result[SERVING_DEFAULT] = tf.function(self._serving_default).get_concrete_function(EXAMPLES_SPEC)
        return result

    def serving_default_method(self) -> str:
        """The `SignatureDef.method_name` serving_default should have."""
        return {CLASSIFIER: CLASSIFY_METHOD, REGRESSOR: REGRESS_METHOD}.get(self.kind, PREDICT_METHOD)

    def model_inputs(self, text: Any, text_b: Any = None) -> dict[str, tf.Tensor]:
        """Tokenizes and packs `text` (and `text_b`) into model inputs.

        Rows whose `text_b` is "" get one segment. Uses the preprocessor's
        tokenizer and `pack`, exactly like `AlbertPreprocessor.call`, then
        drops the columns that are padding in every row: the batch is `[B, L]`
        with L the longest packed row (≤ T), so a short query costs a short
        forward pass. Padding is masked out of attention, so the outputs at
        real positions are those of the `[B, T]` inputs.
        """
        text = tf.convert_to_tensor(text, tf.string)
        tokenizer = self.preprocessor.tokenizer
        ids_a = tokenizer.tokenize(text)
        special_ids = tokenizer.special_ids
        single = pack(ids_a, None, self.sequence_length, special_ids)
        if text_b is None:
            return _trim_padding(single)
        text_b = tf.convert_to_tensor(text_b, tf.string)
        pair = pack(ids_a, tokenizer.tokenize(text_b), self.sequence_length, special_ids)
        has_b = tf.strings.length(text_b) > 0
        return _trim_padding({k: tf.where(has_b[:, tf.newaxis], pair[k], single[k]) for k in single})

    # === Bodies ===

    def _fill_mask(self, text, text_b):
        inputs = self.model_inputs(text, text_b)
        token_ids = inputs[features.TOKEN_IDS]
        batch = tf.shape(token_ids, out_type=tf.int64)[0]
        mask_id = self.preprocessor.tokenizer.special_ids.mask  # the vocabulary's [MASK]
        where = tf.where(tf.equal(token_ids, mask_id))  # [N, 2], row-major
        positions = tf.RaggedTensor.from_value_rowids(
            tf.cast(where[:, 1], tf.int32), where[:, 0], nrows=batch
        ).to_tensor(default_value=PAD_POSITION)  # [B, most masks]
        missing = tf.maximum(1 - tf.shape(positions)[1], 0)
        positions = tf.pad(positions, [[0, 0], [0, missing]], constant_values=PAD_POSITION)  # [B, M]
        model_inputs = dict(inputs)
        model_inputs[features.MASK_POSITIONS] = tf.maximum(positions, 0)
        logits = self.model(model_inputs, training=False)["mlm_logits"]
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
        top = tf.math.top_k(probabilities, k=self.top_k)
        valid = (positions >= 0)[:, :, tf.newaxis]
        ids = tf.where(valid, top.indices, PAD_ID)
        tokens = tf.where(valid, self.preprocessor.tokenizer.id_to_token(tf.maximum(ids, 0)), PAD_TOKEN)
        return {
            "top_k_ids": tf.cast(ids, tf.int32),
            "top_k_tokens": tokens,
            "top_k_scores": tf.where(valid, top.values, PAD_SCORE),
            "mask_positions": positions,
        }

    def _embed(self, text, text_b):
        inputs = self.model_inputs(text, text_b)
        outputs = self.backbone(inputs, training=False)
        sequence = tf.cast(outputs["sequence_output"], tf.float32)
        mask = tf.cast(inputs[features.PADDING_MASK], tf.float32)[:, :, tf.newaxis]
        mean = tf.reduce_sum(sequence * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
        return {
            "pooled_output": tf.cast(outputs["pooled_output"], tf.float32),
            "mean_embedding": mean,
        }

    def _logits(self, text, text_b):
        return tf.cast(self.model(self.model_inputs(text, text_b), training=False), tf.float32)

    def _classify(self, text, text_b):
        probabilities = tf.nn.softmax(self._logits(text, text_b), axis=-1)
        class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {
            "probabilities": probabilities,
            "class_ids": class_ids,
            "class_labels": tf.gather(self._labels, class_ids),
        }

    def _regress(self, text, text_b):
        return {"predictions": self._logits(text, text_b)[:, 0]}

    def _serving_default(self, inputs):
        parsed = tf.io.parse_example(
            inputs,
            {
                features.TEXT: tf.io.FixedLenFeature([], tf.string, default_value=""),
                features.TEXT_B: tf.io.FixedLenFeature([], tf.string, default_value=""),
            },
        )
        if self.kind == CLASSIFIER:
            probabilities = self._classify_fn(parsed)["probabilities"]
            classes = tf.tile(self._labels[tf.newaxis, :], [tf.shape(inputs)[0], 1])
            return {"scores": probabilities, "classes": classes}
        if self.kind == REGRESSOR:
            return {"outputs": self._regress_fn(parsed)["predictions"]}
        return self._embed_fn(parsed)


def _trim_padding(inputs):
    """Slices packed `[B, T]` inputs to `[B, L]`, L = the longest row (at least 1)."""
    lengths = tf.reduce_sum(tf.cast(inputs[features.PADDING_MASK], tf.int32), axis=1)
    longest = tf.maximum(tf.reduce_max(tf.concat([lengths, [1]], axis=0)), 1)
    return {k: v[:, :longest] for k, v in inputs.items()}


# Closures, not lambdas with default args: tf.saved_model.save encodes the
# defaults of a tf.function's Python signature and cannot encode functions.
def _pair_body(body):
    def pair_body(inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return body(inputs[features.TEXT], inputs[features.TEXT_B])

    return pair_body


def _entry(core):
    def entry(inputs: Any) -> dict[str, tf.Tensor]:
        return core(_as_pair(inputs))

    return entry


def _signature(core):
    def signature(text: tf.Tensor, text_b: tf.Tensor) -> dict[str, tf.Tensor]:
        return core({features.TEXT: text, features.TEXT_B: text_b})

    return signature


def _as_pair(inputs):
    """`{"text", "text_b"}` from a string tensor `[B]` (text_b "") or a dict."""
    if isinstance(inputs, dict):
        text = inputs[features.TEXT]
        text_b = inputs.get(features.TEXT_B)
    else:
        text, text_b = inputs, None
    text = tf.convert_to_tensor(text, tf.string)
    if text_b is None:
        text_b = tf.fill(tf.shape(text), "")
    return {features.TEXT: text, features.TEXT_B: tf.convert_to_tensor(text_b, tf.string)}
