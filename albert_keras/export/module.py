"""`AlbertServingModule`: the `tf.Module` that is saved as the SavedModel.

It holds the Keras 3 task model, the in-graph tokenizer (`AlbertTokenizer`
or `WordPieceTokenizer`, as the model dir has; inside an
`AlbertPreprocessor`, the same code path as training) and the serving
functions. `signatures()` gives the functions (with input signatures) that become the
SavedModel's `SignatureDef`s; the attributes `fill_mask`, `embed`,
`classify` / `regress` are `tf.function`s for Python and
`keras.layers.TFSMLayer` users (they take a string tensor `[B]` or a dict
`{"text": [B], "text_b": [B]}`).

Conventions (see docs/export.md):

* Single-text signatures (`fill_mask`, `embed`, `classify`, `regress`,
  `tag`) take only `text`, string `[B]`, packed ``[CLS] text [SEP]``: no
  `text_b` to send, so they work on stock TF Serving 2.12+ (which ignores
  SignatureDef defaults and rejects missing inputs). Their pair siblings
  (`fill_mask_pair`, `embed_pair`, `classify_pair`, `regress_pair`) take
  `text` and `text_b`; a row whose `text_b` is "" is packed as one segment.
* `answer_question` takes `question` and `context` (string `[B]`),
  `choose` takes `context` (string `[B]`) and `choices` (string `[B, N]`,
  "" pads).
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
from albert_keras.tasks import decoding
from albert_keras.tasks.classifier import AlbertClassifier
from albert_keras.tasks.multiple_choice import AlbertMultipleChoice
from albert_keras.tasks.pretrainer import AlbertPretrainer
from albert_keras.tasks.question_answerer import AlbertQuestionAnswerer
from albert_keras.tasks.token_classifier import AlbertTokenClassifier
from albert_keras.tokenizer.offsets import piece_text

# Signature names.
FILL_MASK = "fill_mask"
EMBED = "embed"
CLASSIFY = "classify"
REGRESS = "regress"
SERVING_DEFAULT = "serving_default"
ANSWER_QUESTION = "answer_question"
TAG = "tag"
CHOOSE = "choose"
PAIR_SUFFIX = "_pair"  # fill_mask_pair, embed_pair, classify_pair, regress_pair: text + text_b
FILL_MASK_PAIR = FILL_MASK + PAIR_SUFFIX
EMBED_PAIR = EMBED + PAIR_SUFFIX
CLASSIFY_PAIR = CLASSIFY + PAIR_SUFFIX
REGRESS_PAIR = REGRESS + PAIR_SUFFIX

# Input names of the task signatures.
QUESTION = "question"
CONTEXT = "context"
CHOICES = "choices"

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
TEXT_SPECS = {features.TEXT: TEXT_SPEC}
PAIR_SPECS = {features.TEXT: TEXT_SPEC, features.TEXT_B: TEXT_B_SPEC}
QA_SPECS = {
    QUESTION: tf.TensorSpec([None], tf.string, name=QUESTION),
    CONTEXT: tf.TensorSpec([None], tf.string, name=CONTEXT),
}
CHOOSE_SPECS = {
    CONTEXT: tf.TensorSpec([None], tf.string, name=CONTEXT),
    CHOICES: tf.TensorSpec([None, None], tf.string, name=CHOICES),
}

PRETRAINER = "pretrainer"
CLASSIFIER = "classifier"
REGRESSOR = "regressor"
QUESTION_ANSWERER = "question_answerer"
TOKEN_CLASSIFIER = "token_classifier"
MULTIPLE_CHOICE = "multiple_choice"
ENCODER = "encoder"


def model_kind(model: keras.Model) -> str:
    """"pretrainer", "classifier", "regressor", "question_answerer", "token_classifier",
    "multiple_choice" or "encoder" (embed only)."""
    if isinstance(model, AlbertPretrainer):
        return PRETRAINER
    if isinstance(model, AlbertQuestionAnswerer):
        return QUESTION_ANSWERER
    if isinstance(model, AlbertTokenClassifier):
        return TOKEN_CLASSIFIER
    if isinstance(model, AlbertMultipleChoice):
        return MULTIPLE_CHOICE
    if isinstance(model, AlbertClassifier):
        return REGRESSOR if model.regression else CLASSIFIER
    return ENCODER


def class_labels_of(model: keras.Model) -> list[str]:
    """The classifier's (or tagger's) label strings (its `class_labels`, else "0".."C-1")."""
    labels = getattr(model, "class_labels", None)
    if labels is None:
        labels = [str(i) for i in range(model.num_classes)]
    return [str(label) for label in labels]


class AlbertServingModule(tf.Module):
    """The exported object: model + preprocessor + serving functions.

    Args:
        model: an `AlbertPretrainer`, `AlbertClassifier`,
            `AlbertQuestionAnswerer`, `AlbertTokenClassifier`,
            `AlbertMultipleChoice`, another task model or an `AlbertBackbone`
            (embed only).
        preprocessor: an `AlbertPreprocessor` (tokenizer + sequence length).
        top_k: K of `fill_mask` (capped at the vocabulary size).
        max_answer_length: the most tokens an `answer_question` answer has.
    """

    def __init__(
        self,
        model: keras.Model,
        preprocessor: AlbertPreprocessor,
        top_k: int = 5,
        max_answer_length: int = decoding.DEFAULT_MAX_ANSWER_LENGTH,
    ) -> None:
        super().__init__(name="albert_serving")
        self.model = model
        self.preprocessor = preprocessor
        self.kind = model_kind(model)
        self.backbone = model if isinstance(model, AlbertBackbone) else model.backbone
        self.sequence_length = preprocessor.sequence_length
        if not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"`top_k` must be a positive int. Received: top_k={top_k!r}")
        if not isinstance(max_answer_length, int) or max_answer_length < 1:
            raise ValueError(f"`max_answer_length` must be a positive int. Received: {max_answer_length!r}")
        self.top_k = min(top_k, self.backbone.vocabulary_size)
        self.max_answer_length = max_answer_length
        self.labels = class_labels_of(model) if self.kind in (CLASSIFIER, TOKEN_CLASSIFIER) else None
        self.signatures_names = ()
        if self.labels is not None:
            self._labels = tf.constant(self.labels, tf.string)

        # One traced body per endpoint: `_<name>_fn(dict of inputs)`. The
        # attribute `<name>` (for Python and TFSMLayer) and the signature
        # `<name>` are thin wrappers that call it. Nothing is traced here:
        # a trace is keyed by its context, so one made before
        # `tf.saved_model.save` is made again inside it. The save traces each
        # body once (the bodies and signatures have input signatures; the
        # attributes are traced by `_trackable_children`).
        for name, specs in self.endpoint_specs().items():
            core = tf.function(_dict_body(getattr(self, "_" + name), list(specs)), input_signature=[specs])
            setattr(self, f"_{name}_fn", core)
        for name, specs in self.endpoint_specs().items():
            core = getattr(self, f"_{name}_fn")
            setattr(self, name, tf.function(_entry(core, list(specs), self._pair_fn(name))))

    # === Public ===

    def endpoint_names(self) -> list[str]:
        """The endpoints (signature and attribute names) of this model, serving_default aside."""
        return list(self.endpoint_specs())

    def endpoint_specs(self) -> dict[str, dict[str, tf.TensorSpec]]:
        """Each endpoint's inputs: name → {input name: TensorSpec}."""
        task = {
            PRETRAINER: {FILL_MASK: TEXT_SPECS, FILL_MASK_PAIR: PAIR_SPECS},
            CLASSIFIER: {CLASSIFY: TEXT_SPECS, CLASSIFY_PAIR: PAIR_SPECS},
            REGRESSOR: {REGRESS: TEXT_SPECS, REGRESS_PAIR: PAIR_SPECS},
            QUESTION_ANSWERER: {ANSWER_QUESTION: QA_SPECS},
            TOKEN_CLASSIFIER: {TAG: TEXT_SPECS},
            MULTIPLE_CHOICE: {CHOOSE: CHOOSE_SPECS},
            ENCODER: {},
        }[self.kind]
        return {**task, EMBED: TEXT_SPECS, EMBED_PAIR: PAIR_SPECS}

    def signature_inputs(self) -> dict[str, list[str]]:
        """Each signature's input names (serving_default: `inputs`, serialized tf.Examples)."""
        inputs = {name: list(specs) for name, specs in self.endpoint_specs().items()}
        inputs[SERVING_DEFAULT] = [EXAMPLES_KEY]
        return inputs

    def signatures(self) -> dict[str, Any]:
        """The functions (with input signatures) to save as signatures, by name.

        Each takes exactly the inputs of `endpoint_specs` (no defaults, so
        every input is required, as TF Serving 2.12/2.13 treat them);
        `serving_default` takes serialized tf.Examples (`inputs`).
        """
        result = {}
        for name, specs in self.endpoint_specs().items():
            core = getattr(self, f"_{name}_fn")
            result[name] = tf.function(_signature(core, list(specs)), input_signature=list(specs.values()))
        result[SERVING_DEFAULT] = tf.function(self._serving_default, input_signature=[EXAMPLES_SPEC])
        return result

    def _trackable_children(self, save_type="checkpoint", **kwargs):
        # Inside `tf.saved_model.save`: trace the attributes' input forms (a
        # dict of the inputs; a single-text endpoint also a string tensor and
        # a text/text_b dict) in the save's context, so the bodies are traced
        # once and the loaded object can call them.
        if save_type == "savedmodel":
            for name, specs in self.endpoint_specs().items():
                entry = getattr(self, name)
                entry.get_concrete_function(specs)
                if list(specs) == [features.TEXT]:
                    entry.get_concrete_function(TEXT_SPEC)
                    entry.get_concrete_function(PAIR_SPECS)
        return super()._trackable_children(save_type, **kwargs)

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

    def _pair_fn(self, name):
        return getattr(self, f"_{name}{PAIR_SUFFIX}_fn", None) if not name.endswith(PAIR_SUFFIX) else None

    # === Bodies ===

    def _fill_mask(self, text, text_b=None):
        inputs = self.model_inputs(text, text_b)
        token_ids = inputs[features.TOKEN_IDS]
        batch = tf.shape(token_ids, out_type=tf.int64)[0]
        tokenizer = self.preprocessor.tokenizer
        mask_id = tokenizer.special_ids.mask  # the vocabulary's [MASK]
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
        tokens = tf.where(valid, tokenizer.id_to_token(tf.maximum(ids, 0)), PAD_TOKEN)
        return {
            "top_k_ids": tf.cast(ids, tf.int32),
            "top_k_tokens": tokens,
            "top_k_strings": tf.where(valid, piece_text(tokenizer, tokens), PAD_TOKEN),
            "top_k_scores": tf.where(valid, top.values, PAD_SCORE),
            "mask_positions": positions,
        }

    def _fill_mask_pair(self, text, text_b):
        return self._fill_mask(text, text_b)

    def _embed(self, text, text_b=None):
        inputs = self.model_inputs(text, text_b)
        outputs = self.backbone(inputs, training=False)
        sequence = tf.cast(outputs["sequence_output"], tf.float32)
        mask = tf.cast(inputs[features.PADDING_MASK], tf.float32)[:, :, tf.newaxis]
        mean = tf.reduce_sum(sequence * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
        return {
            "pooled_output": tf.cast(outputs["pooled_output"], tf.float32),
            "mean_embedding": mean,
        }

    def _embed_pair(self, text, text_b):
        return self._embed(text, text_b)

    def _logits(self, text, text_b):
        return tf.cast(self.model(self.model_inputs(text, text_b), training=False), tf.float32)

    def _classify(self, text, text_b=None):
        probabilities = tf.nn.softmax(self._logits(text, text_b), axis=-1)
        class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {
            "probabilities": probabilities,
            "class_ids": class_ids,
            "class_labels": tf.gather(self._labels, class_ids),
        }

    def _classify_pair(self, text, text_b):
        return self._classify(text, text_b)

    def _regress(self, text, text_b=None):
        return {"predictions": self._logits(text, text_b)[:, 0]}

    def _regress_pair(self, text, text_b):
        return self._regress(text, text_b)

    def _answer_question(self, question, context):
        return decoding.answer_question(
            self.model, self.preprocessor.tokenizer, question, context, self.sequence_length, self.max_answer_length
        )

    def _tag(self, text):
        return decoding.tag(self.model, self.preprocessor.tokenizer, text, self.sequence_length, self._labels)

    def _choose(self, context, choices):
        return decoding.choose(self.model, self.preprocessor.tokenizer, context, choices, self.sequence_length)

    def _serving_default(self, inputs):
        parsed = tf.io.parse_example(
            inputs,
            {
                features.TEXT: tf.io.FixedLenFeature([], tf.string, default_value=""),
                features.TEXT_B: tf.io.FixedLenFeature([], tf.string, default_value=""),
            },
        )
        if self.kind == CLASSIFIER:
            probabilities = self._classify_pair_fn(parsed)["probabilities"]
            classes = tf.tile(self._labels[tf.newaxis, :], [tf.shape(inputs)[0], 1])
            return {"scores": probabilities, "classes": classes}
        if self.kind == REGRESSOR:
            return {"outputs": self._regress_pair_fn(parsed)["predictions"]}
        return self._embed_pair_fn(parsed)


def _trim_padding(inputs):
    """Slices packed `[B, T]` inputs to `[B, L]`, L = the longest row (at least 1)."""
    lengths = tf.reduce_sum(tf.cast(inputs[features.PADDING_MASK], tf.int32), axis=1)
    longest = tf.maximum(tf.reduce_max(tf.concat([lengths, [1]], axis=0)), 1)
    return {k: v[:, :longest] for k, v in inputs.items()}


# Closures, not lambdas with default args: tf.saved_model.save encodes the
# defaults of a tf.function's Python signature and cannot encode functions.
def _dict_body(body, names):
    def dict_body(inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        return body(*(inputs[n] for n in names))

    return dict_body


def _entry(core, names, pair_core):
    """The Python attribute: a dict of the inputs, or (single text) a string tensor.

    A single-text endpoint also takes `{"text", "text_b"}` (through its pair
    sibling's body), as before the pair signatures existed.
    """

    def entry(inputs: Any) -> dict[str, tf.Tensor]:
        if not isinstance(inputs, dict):
            if names != [features.TEXT]:
                raise ValueError(f"This endpoint takes a dict with keys {names}. Received: {type(inputs).__name__}")
            inputs = {features.TEXT: inputs}
        if pair_core is not None and inputs.get(features.TEXT_B) is not None:
            return pair_core({k: tf.convert_to_tensor(inputs[k], tf.string) for k in PAIR_SPECS})
        return core({n: tf.convert_to_tensor(inputs[n], tf.string) for n in names})

    return entry


def _signature(core, names):
    def signature(*args: tf.Tensor) -> dict[str, tf.Tensor]:
        return core(dict(zip(names, args, strict=True)))

    return signature
