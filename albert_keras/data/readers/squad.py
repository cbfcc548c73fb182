"""SQuAD v1.1 / v2.0 data: windows with doc stride, answer spans, no-answer handling.

As in the original BERT/ALBERT `run_squad`: the context is split on
whitespace into words (with a char → word map), each word is tokenized
alone, and the question (at most `max_query_length` tokens) is packed with
windows of the context tokens, starting every `doc_stride` tokens:
``[CLS] question [SEP] window [SEP]``. A window whose context does not hold
the whole answer, and every window of an unanswerable (v2) question, gets
start = end = 0 (the [CLS] token) and `is_impossible` 1.
"""

import dataclasses
import json
import os

import numpy as np

from albert_keras import features
from albert_keras.data import tabular
from albert_keras.data.errors import DataError
from albert_keras.tokenizer.loading import Encoder


@dataclasses.dataclass
class SquadExample:
    """One question.

    Attributes:
        qid: the question id.
        question: the question text.
        words: the context split on whitespace.
        answers: the gold answer texts ([] when unanswerable).
        start_word, end_word: the first answer's word span (-1 if none).
        is_impossible: v2 unanswerable.
    """

    qid: str
    question: str
    words: list
    answers: list
    start_word: int
    end_word: int
    is_impossible: bool


@dataclasses.dataclass
class SquadFeatures:
    """Model inputs of all windows plus what post-processing needs.

    Attributes:
        x: dict of int32 `[F, T]` arrays.
        y: dict: start_positions, end_positions, is_impossible, int32 `[F]`.
        example_index: int `[F]`, the example each window came from.
        token_to_word: per window, a dict token position → context word.
        max_context: per window, a dict token position → whether this
            window gives that token its most context (used to score spans).
    """

    x: dict
    y: dict
    example_index: np.ndarray
    token_to_word: list
    max_context: list


def _is_space(c):
    return c in " \t\r\n" or ord(c) == 0x202F


def read_squad(path: str | os.PathLike) -> list[SquadExample]:
    """Reads a SQuAD JSON file into `SquadExample`s.

    Raises:
        DataError: a missing or non-UTF-8 file, invalid JSON, no top-level
            `data`, an answer that is not at its `answer_start`, or no
            question at all.
    """
    text = tabular.read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"Invalid JSON: {e.msg} at column {e.colno}", path, e.lineno) from e
    if not isinstance(data, dict) or "data" not in data:
        raise DataError("SQuAD JSON must have a top-level `data` list. Received no `data`", path, field="data")
    examples = []
    for article in data["data"]:
        for paragraph in article.get("paragraphs", []):
            context = paragraph["context"]
            words, char_to_word, previous_space = [], [], True
            for c in context:
                if _is_space(c):
                    previous_space = True
                else:
                    if previous_space:
                        words.append(c)
                    else:
                        words[-1] += c
                    previous_space = False
                char_to_word.append(len(words) - 1)
            for qa in paragraph.get("qas", []):
                impossible = bool(qa.get("is_impossible", False))
                answers = [a["text"] for a in qa.get("answers", [])]
                start_word = end_word = -1
                if not impossible:
                    if not qa.get("answers"):
                        raise DataError(
                            f"`answers` of question {qa.get('id')!r} must not be empty unless `is_impossible`. "
                            "Received: []", path, field="answers",
                        )
                    first = qa["answers"][0]
                    offset = first["answer_start"]
                    end = offset + len(first["text"]) - 1
                    if end >= len(context) or context[offset:end + 1] != first["text"]:
                        raise DataError(
                            f"`answer_start` of question {qa.get('id')!r} must point at its answer "
                            f"{first['text']!r} in the context. Received: answer_start={offset}",
                            path, field="answer_start",
                        )
                    start_word, end_word = char_to_word[offset], char_to_word[end]
                examples.append(SquadExample(str(qa["id"]), qa["question"], words, answers, start_word, end_word,
                                             impossible))
    if not examples:
        raise DataError("The file holds no questions", path)
    return examples


def encode_squad(
    examples: list[SquadExample],
    encoder: Encoder,
    sequence_length: int,
    doc_stride: int,
    max_query_length: int,
) -> SquadFeatures:
    """Turns examples into windows (see the module docstring).

    Returns:
        A `SquadFeatures`.
    """
    T = sequence_length
    special = encoder.special_ids
    rows, starts, ends, impossible, example_index, token_to_word, max_context = [], [], [], [], [], [], []
    for ex_i, ex in enumerate(examples):
        query = encoder.encode(ex.question)[:max_query_length]
        word_tokens, token_word, word_first = [], [], []
        for w, word in enumerate(ex.words):
            word_first.append(len(word_tokens))
            pieces = encoder.encode(word) or [special.unk]
            word_tokens.extend(pieces)
            token_word.extend([w] * len(pieces))
        tok_start = tok_end = -1
        if not ex.is_impossible:
            tok_start = word_first[ex.start_word]
            tok_end = (word_first[ex.end_word + 1] - 1) if ex.end_word + 1 < len(ex.words) else len(word_tokens) - 1
        budget = T - len(query) - 3
        if budget < 1:
            raise DataError(
                f"`data.sequence_length` must leave room for context after a {len(query)}-token question. "
                f"Received: {T}"
            )
        spans, offset = [], 0
        while True:
            length = min(budget, len(word_tokens) - offset)
            spans.append((offset, length))
            if offset + length >= len(word_tokens):
                break
            offset += min(length, doc_stride)
        for span_i, (offset, length) in enumerate(spans):
            tokens = [special.cls] + query + [special.sep]
            segments = [0] * len(tokens)
            mapping, best = {}, {}
            for i in range(length):
                pos = len(tokens)
                mapping[pos] = token_word[offset + i]
                best[pos] = _is_max_context(spans, span_i, offset + i)
                tokens.append(word_tokens[offset + i])
            tokens.append(special.sep)
            segments += [1] * (length + 1)
            context_start = len(query) + 2
            if ex.is_impossible or not (offset <= tok_start and tok_end < offset + length):
                s = e = 0
            else:
                s = tok_start - offset + context_start
                e = tok_end - offset + context_start
            pad = T - len(tokens)
            rows.append((tokens + [special.pad] * pad, segments + [0] * pad, [1] * len(tokens) + [0] * pad))
            starts.append(s)
            ends.append(e)
            impossible.append(int(s == 0))
            example_index.append(ex_i)
            token_to_word.append(mapping)
            max_context.append(best)
    tokens, segments, padding = (np.asarray(a, np.int32) for a in zip(*rows, strict=True))
    return SquadFeatures(
        x={features.TOKEN_IDS: tokens, features.SEGMENT_IDS: segments, features.PADDING_MASK: padding},
        y={
            "start_positions": np.asarray(starts, np.int32),
            "end_positions": np.asarray(ends, np.int32),
            "is_impossible": np.asarray(impossible, np.int32),
        },
        example_index=np.asarray(example_index),
        token_to_word=token_to_word,
        max_context=max_context,
    )


def _is_max_context(spans, span_index, position):
    """Whether window `span_index` gives token `position` the most context (BERT's rule)."""
    best_score, best_index = None, None
    for i, (start, length) in enumerate(spans):
        end = start + length - 1
        if position < start or position > end:
            continue
        score = min(position - start, end - position) + 0.01 * length
        if best_score is None or score > best_score:
            best_score, best_index = score, i
    return best_index == span_index


def predict_answers(
    examples: list[SquadExample],
    feats: SquadFeatures,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    answerable_logits: np.ndarray,
    max_answer_length: int = 30,
    squad_v2: bool = True,
    null_threshold: float = 0.0,
) -> dict[str, str]:
    """Best answer text per question from window logits.

    A span must lie in the context, start where its window has the most
    context, and be at most `max_answer_length` tokens; its score is
    start + end logit. With `squad_v2`, a question whose highest
    `answerable_logits` over its windows is below `null_threshold` gets "".

    Returns:
        A dict qid → answer text.
    """
    best = {}
    answerable = {}
    for f in range(len(feats.example_index)):
        ex_i = int(feats.example_index[f])
        answerable[ex_i] = max(answerable.get(ex_i, -np.inf), float(answerable_logits[f]))
        mapping, maxc = feats.token_to_word[f], feats.max_context[f]
        positions = sorted(mapping)
        if not positions:
            continue
        s_logits, e_logits = start_logits[f], end_logits[f]
        top_s = sorted(positions, key=lambda p: -s_logits[p])[:20]
        top_e = sorted(positions, key=lambda p: -e_logits[p])[:20]
        for s in top_s:
            if not maxc[s]:
                continue
            for e in top_e:
                if e < s or e - s + 1 > max_answer_length:
                    continue
                score = float(s_logits[s] + e_logits[e])
                if ex_i not in best or score > best[ex_i][0]:
                    best[ex_i] = (score, mapping[s], mapping[e])
    predictions = {}
    for ex_i, ex in enumerate(examples):
        if (squad_v2 and answerable.get(ex_i, -np.inf) < null_threshold) or ex_i not in best:
            predictions[ex.qid] = ""
        else:
            _, w_start, w_end = best[ex_i]
            predictions[ex.qid] = " ".join(ex.words[w_start:w_end + 1])
    return predictions
