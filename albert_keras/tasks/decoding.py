"""Raw text in, answers out: the decoding of the QA, tagging and multiple-choice tasks.

All TF ops (TF core, plus the tokenizers' TF Text 2.12.1 ops), so the same
functions run eagerly behind the Python methods
(`AlbertQuestionAnswerer.answer_question`, `AlbertTokenClassifier.tag`,
`AlbertMultipleChoice.choose`) and inside the exported signatures
(`answer_question`, `tag`, `choose`; albert_keras/export/module.py).

Two layers:

* decoders on model outputs: `best_spans` (QA), `bio_entities` (tagging),
  `choice_probabilities` (multiple choice) take logits plus the character
  offsets of the tokens (`albert_keras.tokenizer.offsets`);
* end-to-end functions `answer_question`, `tag`, `choose` that tokenize with
  offsets, pack, run the model and decode.

Character offsets are Unicode code points into the caller's string
(`context[start:end]` in Python). Answers and entities end on piece
boundaries mapped to the raw text (see `tokenize_with_offsets` for the
limitation when a word's pieces cannot be aligned).
"""

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from albert_keras import features
from albert_keras.preprocessing.packer import pack, truncated_lengths
from albert_keras.tokenizer.offsets import tokenize_with_offsets

NEG = -1e9
NO_OFFSET = -1
OUTSIDE = "O"
DEFAULT_MAX_ANSWER_LENGTH = 30

# === Python entry points' helpers ===


def task_tokenizer(task: Any, tokenizer: Any = None) -> Any:
    """The tokenizer layer to use for a task's raw-text method.

    `tokenizer` if given, else the task's preprocessor's tokenizer.

    Raises:
        ValueError: neither is there.
    """
    if tokenizer is None:
        preprocessor = getattr(task, "preprocessor", None)
        tokenizer = getattr(preprocessor, "tokenizer", None)
    if tokenizer is None:
        raise ValueError(
            f"`{type(task).__name__}` has no preprocessor: pass `tokenizer=` (e.g. "
            "`albert_keras.tokenizer.loading.load_tokenizer(model_dir)`)."
        )
    return tokenizer


def task_sequence_length(task: Any, sequence_length: int | None = None) -> int:
    """`sequence_length`, else the preprocessor's, else the backbone's `max_sequence_length`."""
    if sequence_length is None:
        sequence_length = getattr(getattr(task, "preprocessor", None), "sequence_length", None)
    return int(sequence_length or task.backbone.max_sequence_length)


def as_batch(value: Any) -> tuple[tf.Tensor, bool]:
    """A string or list of strings as tf.string `[B]`, and whether it was a single string."""
    single = isinstance(value, str | bytes)
    return tf.constant([value] if single else list(value), tf.string), single


# === Decoders on model outputs ===


def best_spans(
    start_logits: tf.Tensor,
    end_logits: tf.Tensor,
    context_mask: tf.Tensor,
    max_answer_length: int = DEFAULT_MAX_ANSWER_LENGTH,
) -> dict[str, tf.Tensor]:
    """SQuAD 2.0 decoding: the best span in the context against the null ([CLS]) answer.

    The best span maximizes `start_logits[i] + end_logits[j]` over context
    tokens with `i <= j < i + max_answer_length`; the null score is
    `start_logits[0] + end_logits[0]`. Scores are probabilities: softmax of
    the start (and end) logits over the context tokens and [CLS], multiplied.

    Args:
        start_logits: float `[B, L]`.
        end_logits: float `[B, L]`.
        context_mask: bool `[B, L]`, True on the context's tokens.
        max_answer_length: the most tokens an answer may have.

    Returns:
        A dict of `[B]` tensors: `start_index`, `end_index` (int32, the
        span's first and last token), `score` (the span's probability),
        `no_answer_score` (the null answer's), `has_answer` (bool: a span
        exists and beats the null answer).
    """
    start_logits = tf.cast(start_logits, tf.float32)
    end_logits = tf.cast(end_logits, tf.float32)
    context_mask = tf.cast(context_mask, tf.bool)
    length = tf.shape(start_logits)[1]
    pair = start_logits[:, :, tf.newaxis] + end_logits[:, tf.newaxis, :]  # [B, L, L]
    positions = tf.range(length)
    gap = positions[tf.newaxis, :] - positions[:, tf.newaxis]  # j - i
    band = (gap >= 0) & (gap < max_answer_length)
    allowed = band[tf.newaxis] & context_mask[:, :, tf.newaxis] & context_mask[:, tf.newaxis, :]
    flat = tf.reshape(tf.where(allowed, pair, NEG), [tf.shape(pair)[0], -1])
    best = tf.argmax(flat, axis=1, output_type=tf.int32)
    best_logit = tf.reduce_max(flat, axis=1)
    start_index, end_index = best // length, best % length
    candidates = context_mask | tf.equal(tf.range(length), 0)[tf.newaxis, :]
    p_start = tf.nn.softmax(tf.where(candidates, start_logits, NEG), axis=-1)
    p_end = tf.nn.softmax(tf.where(candidates, end_logits, NEG), axis=-1)
    score = tf.gather(p_start, start_index, batch_dims=1) * tf.gather(p_end, end_index, batch_dims=1)
    has_span = tf.reduce_any(allowed, axis=[1, 2])
    null_logit = start_logits[:, 0] + end_logits[:, 0]
    return {
        "start_index": start_index,
        "end_index": end_index,
        "score": tf.where(has_span, score, 0.0),
        "no_answer_score": p_start[:, 0] * p_end[:, 0],
        "has_answer": has_span & (best_logit > null_logit),
    }


def bio_entities(
    label_ids: tf.RaggedTensor,
    scores: tf.RaggedTensor,
    begins: tf.RaggedTensor,
    ends: tf.RaggedTensor,
    text: tf.Tensor,
    labels: Sequence[str] | tf.Tensor,
) -> dict[str, tf.Tensor]:
    """BIO decoding of word labels into entities with character offsets.

    An entity starts at a word labelled ``B-X`` (or ``S-X``), or ``I-X`` /
    ``X`` after a word of another type or ``O``; it continues over the
    following ``I-X`` (or ``X``, ``E-X``) words. ``O`` is outside.

    Args:
        label_ids: int `[B, (W)]`, the label index of each word.
        scores: float `[B, (W)]`, the probability of that label.
        begins: int `[B, (W)]`, each word's start character offset.
        ends: int `[B, (W)]`, each word's end character offset.
        text: tf.string `[B]`, the raw texts (entity text is cut from them).
        labels: the label strings, by index.

    Returns:
        A dict: `entity_labels`, `entity_texts` (tf.string `[B, E]`, padded
        with ""), `entity_starts`, `entity_ends` (int32 `[B, E]`, padded with
        -1), `entity_scores` (float32 `[B, E]`, the mean label probability,
        padded with 0) and `num_entities` (int32 `[B]`); E = max(1, most
        entities in a row).
    """
    labels = tf.convert_to_tensor(labels, tf.string)
    names = tf.gather(labels, tf.cast(label_ids.flat_values, tf.int32))  # [N]
    row = label_ids.value_rowids()
    outside = tf.equal(names, OUTSIDE)
    prefix = tf.strings.substr(names, 0, 2)
    kind = tf.strings.regex_replace(names, "^[BIES]-", "")
    new_row = tf.equal(tf.range(tf.size(row, out_type=tf.int64)), tf.gather(label_ids.row_starts(), row))
    prev_outside = tf.concat([[True], outside[:-1]], axis=0) | new_row
    prev_kind = tf.concat([[""], kind[:-1]], axis=0)
    after_end = tf.concat([[False], tf.equal(tf.strings.substr(names, 0, 2)[:-1], "E-")], axis=0)
    begin = ~outside & (
        tf.equal(prefix, "B-") | tf.equal(prefix, "S-") | prev_outside | ~tf.equal(prev_kind, kind) | after_end
    )
    entity = tf.cumsum(tf.cast(begin, tf.int64)) - 1
    inside = tf.where(~outside)[:, 0]
    count = tf.reduce_sum(tf.cast(begin, tf.int64))
    member = tf.gather(entity, inside)
    start = tf.math.unsorted_segment_min(tf.gather(tf.cast(begins.flat_values, tf.int32), inside), member, count)
    end = tf.math.unsorted_segment_max(tf.gather(tf.cast(ends.flat_values, tf.int32), inside), member, count)
    score = tf.math.unsorted_segment_mean(tf.gather(tf.cast(scores.flat_values, tf.float32), inside), member, count)
    begin_at = tf.where(begin)[:, 0]
    entity_row = tf.gather(row, begin_at)
    entity_kind = tf.gather(kind, begin_at)
    entity_text = tf.strings.substr(tf.gather(text, entity_row), start, end - start, unit="UTF8_CHAR")
    nrows = tf.shape(text, out_type=tf.int64)[0]

    def dense(values, pad):
        ragged = tf.RaggedTensor.from_value_rowids(values, entity_row, nrows=nrows)
        width = tf.maximum(tf.reduce_max(tf.concat([ragged.row_lengths(), [1]], axis=0)), 1)
        return ragged.to_tensor(default_value=pad, shape=tf.stack([nrows, width]))

    return {
        "entity_labels": dense(entity_kind, ""),
        "entity_texts": dense(entity_text, ""),
        "entity_starts": dense(start, NO_OFFSET),
        "entity_ends": dense(end, NO_OFFSET),
        "entity_scores": dense(score, 0.0),
        "num_entities": tf.cast(
            tf.math.bincount(tf.cast(entity_row, tf.int32), minlength=tf.cast(nrows, tf.int32)), tf.int32
        )[: tf.cast(nrows, tf.int32)],
    }


def choice_probabilities(logits: tf.Tensor, valid: tf.Tensor) -> tf.Tensor:
    """Softmax over the valid choices; padding choices get probability 0.

    Args:
        logits: float `[B, N]`.
        valid: bool `[B, N]`, False on padding choices.

    Returns:
        float32 `[B, N]`.
    """
    valid = tf.cast(valid, tf.bool)
    probabilities = tf.nn.softmax(tf.where(valid, tf.cast(logits, tf.float32), NEG), axis=-1)
    return tf.where(valid, probabilities, 0.0)


# === Text to model inputs with offsets ===


def _trim(inputs: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    """Slices `[B, T]` tensors to `[B, L]`, L the longest packed row (at least 1)."""
    lengths = tf.reduce_sum(tf.cast(inputs[features.PADDING_MASK], tf.int32), axis=1)
    longest = tf.maximum(tf.reduce_max(tf.concat([lengths, [1]], axis=0)), 1)
    return {k: v[:, :longest] for k, v in inputs.items()}


def _keep(values: tf.RaggedTensor, lengths: tf.Tensor) -> tf.RaggedTensor:
    """The first `lengths[i]` values of each row."""
    return tf.ragged.boolean_mask(values, tf.ragged.range(values.row_lengths()) < lengths[:, tf.newaxis])


def _place(values: tf.RaggedTensor, before: tf.Tensor, sequence_length: int, pad: Any) -> tf.Tensor:
    """Rows of `values` put after `before[i]` pad entries, as dense `[B, T]`."""
    lead = tf.RaggedTensor.from_row_lengths(
        tf.fill([tf.reduce_sum(before)], tf.cast(pad, values.dtype)), tf.cast(before, tf.int64)
    )
    return tf.concat([lead, values.with_row_splits_dtype(tf.int64)], axis=1).to_tensor(
        default_value=pad, shape=[None, sequence_length]
    )


def encode_with_offsets(
    tokenizer: Any, text: Any, sequence_length: int, split_cjk: bool = False
) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
    """Packs single texts ``[CLS] text [SEP]`` and the offsets of every position.

    Returns:
        `(inputs, offsets)`: the model inputs (int32 `[B, L]`, trimmed to the
        longest row) and a dict of `[B, L]` tensors aligned with them:
        `starts`, `ends`, `word_begin`, `word_end` (-1 off the text) and
        `word_starts` (bool).
    """
    pieces = tokenize_with_offsets(tokenizer, text, split_cjk=split_cjk)
    inputs = pack(pieces["ids"], None, sequence_length, tokenizer.special_ids)
    kept = tf.minimum(pieces["ids"].row_lengths(), sequence_length - 2)
    before = tf.ones_like(kept)
    offsets = {
        k: _place(_keep(pieces[k], kept), before, sequence_length, False if k == "word_starts" else NO_OFFSET)
        for k in ("starts", "ends", "word_begin", "word_end", "word_starts")
    }
    inputs = _trim(inputs)
    width = tf.shape(inputs[features.TOKEN_IDS])[1]
    return inputs, {k: v[:, :width] for k, v in offsets.items()}


def encode_pair_with_offsets(
    tokenizer: Any, first: Any, second: Any, sequence_length: int
) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor]]:
    """Packs ``[CLS] first [SEP] second [SEP]`` and the offsets of `second`'s tokens.

    Returns:
        `(inputs, offsets)`: the model inputs (int32 `[B, L]`) and `starts`,
        `ends` (int32 `[B, L]`): character offsets into `second` on its
        tokens, -1 elsewhere.
    """
    ids_a = tokenizer.tokenize(tf.convert_to_tensor(first, tf.string))
    pieces = tokenize_with_offsets(tokenizer, second)
    inputs = pack(ids_a, pieces["ids"], sequence_length, tokenizer.special_ids)
    len_a, len_b = truncated_lengths(
        tf.cast(ids_a.row_lengths(), tf.int64), pieces["ids"].row_lengths(), sequence_length - 3
    )
    before = len_a + 2
    offsets = {k: _place(_keep(pieces[k], len_b), before, sequence_length, NO_OFFSET) for k in ("starts", "ends")}
    inputs = _trim(inputs)
    width = tf.shape(inputs[features.TOKEN_IDS])[1]
    return inputs, {k: v[:, :width] for k, v in offsets.items()}


# === End to end ===


def answer_question(
    model: Any,
    tokenizer: Any,
    question: Any,
    context: Any,
    sequence_length: int,
    max_answer_length: int = DEFAULT_MAX_ANSWER_LENGTH,
) -> dict[str, tf.Tensor]:
    """Extractive QA on raw strings.

    Args:
        model: an `AlbertQuestionAnswerer` (or any model with its outputs).
        tokenizer: its tokenizer layer.
        question: tf.string `[B]`.
        context: tf.string `[B]`; truncated to fit `sequence_length` with
            the question (no document stride).
        sequence_length: T.
        max_answer_length: the most tokens an answer may have.

    Returns:
        A dict of `[B]` tensors: `answer` (tf.string, "" when the null
        answer wins), `start`, `end` (int32 character offsets into the
        context, -1 without an answer), `score` (float32, the best span's
        probability) and `no_answer_score` (float32).
    """
    context = tf.convert_to_tensor(context, tf.string)
    inputs, offsets = encode_pair_with_offsets(tokenizer, question, context, sequence_length)
    outputs = model(inputs, training=False)
    spans = best_spans(outputs["start_logits"], outputs["end_logits"], offsets["starts"] >= 0, max_answer_length)
    start = tf.gather(offsets["starts"], spans["start_index"], batch_dims=1)
    end = tf.gather(offsets["ends"], spans["end_index"], batch_dims=1)
    has = spans["has_answer"]
    start = tf.where(has, start, NO_OFFSET)
    end = tf.where(has, end, NO_OFFSET)
    answer = tf.strings.substr(context, tf.maximum(start, 0), tf.maximum(end - start, 0), unit="UTF8_CHAR")
    return {
        "answer": tf.where(has, answer, ""),
        "start": start,
        "end": end,
        "score": spans["score"],
        "no_answer_score": spans["no_answer_score"],
    }


def tag(
    model: Any, tokenizer: Any, text: Any, sequence_length: int, labels: Sequence[str] | tf.Tensor
) -> dict[str, tf.Tensor]:
    """Named entities (BIO tags) of raw strings.

    Words are split at whitespace, and every CJK character is a word, as
    the CoNLL reader has them; each word is tokenized on its own and its
    first piece's label is the word's (`albert_keras.data.readers.conll`).

    Returns:
        `bio_entities`'s dict.
    """
    text = tf.convert_to_tensor(text, tf.string)
    inputs, offsets = encode_with_offsets(tokenizer, text, sequence_length, split_cjk=True)
    logits = tf.cast(model(inputs, training=False), tf.float32)  # [B, L, C]
    probabilities = tf.nn.softmax(logits, axis=-1)
    label_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
    label_scores = tf.reduce_max(probabilities, axis=-1)
    words = offsets["word_starts"]

    def per_word(values):
        return tf.ragged.boolean_mask(values, words)

    return bio_entities(
        per_word(label_ids),
        per_word(label_scores),
        per_word(offsets["word_begin"]),
        per_word(offsets["word_end"]),
        text,
        labels,
    )


def choose(model: Any, tokenizer: Any, context: Any, choices: Any, sequence_length: int) -> dict[str, tf.Tensor]:
    """Multiple choice on raw strings.

    Args:
        model: an `AlbertMultipleChoice`.
        tokenizer: its tokenizer layer.
        context: tf.string `[B]` (segment A of every pair).
        choices: tf.string `[B, N]` (segment B); "" is a padding choice.
        sequence_length: T.

    Returns:
        A dict: `probabilities` (float32 `[B, N]`, 0 on padding choices),
        `choice` (int32 `[B]`, the most likely) and `choice_text`
        (tf.string `[B]`).
    """
    context = tf.convert_to_tensor(context, tf.string)
    choices = tf.convert_to_tensor(choices, tf.string)
    shape = tf.shape(choices)
    flat_choices = tf.reshape(choices, [-1])
    flat_context = tf.reshape(tf.repeat(context[:, tf.newaxis], shape[1], axis=1), [-1])
    ids_context, ids_choice = tokenizer.tokenize(flat_context), tokenizer.tokenize(flat_choices)
    packed = _trim(pack(ids_context, ids_choice, sequence_length, tokenizer.special_ids))
    inputs = {k: tf.reshape(v, tf.stack([shape[0], shape[1], -1])) for k, v in packed.items()}
    probabilities = choice_probabilities(model(inputs, training=False), choices != "")
    best = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
    return {
        "probabilities": probabilities,
        "choice": best,
        "choice_text": tf.gather(choices, best, batch_dims=1),
    }
