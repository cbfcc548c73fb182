"""Fine-tuning metrics: accuracy, F1, MCC, Pearson/Spearman, entity F1, SQuAD EM/F1."""

import collections
import re
import string
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def accuracy(labels: ArrayLike, predictions: ArrayLike) -> float:
    """Fraction of equal entries."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    return float((labels == predictions).mean())


def f1(labels: ArrayLike, predictions: ArrayLike, num_classes: int) -> float:
    """Binary F1 of class 1 when `num_classes` is 2, else the macro F1 over classes."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    classes = [1] if num_classes == 2 else range(num_classes)
    scores = []
    for c in classes:
        tp = float(((predictions == c) & (labels == c)).sum())
        fp = float(((predictions == c) & (labels != c)).sum())
        fn = float(((predictions != c) & (labels == c)).sum())
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def matthews_corrcoef(labels: ArrayLike, predictions: ArrayLike, num_classes: int) -> float:
    """Matthews correlation coefficient (multi-class form; 0 when undefined)."""
    confusion = np.zeros((num_classes, num_classes), np.float64)
    for t, p in zip(labels, predictions, strict=False):
        confusion[int(t), int(p)] += 1
    t_sum, p_sum = confusion.sum(1), confusion.sum(0)
    n, correct = confusion.sum(), np.trace(confusion)
    cov_tp = correct * n - (t_sum * p_sum).sum()
    cov_pp = n * n - (p_sum * p_sum).sum()
    cov_tt = n * n - (t_sum * t_sum).sum()
    denominator = np.sqrt(cov_pp * cov_tt)
    return float(cov_tp / denominator) if denominator > 0 else 0.0


def pearson(a: ArrayLike, b: ArrayLike) -> float:
    """Pearson correlation (0 when either side is constant)."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    a, b = a - a.mean(), b - b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def _ranks(values):
    values = np.asarray(values, np.float64).ravel()
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    for v in np.unique(values):
        tied = values == v
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(a: ArrayLike, b: ArrayLike) -> float:
    """Spearman rank correlation (ties get their average rank)."""
    return pearson(_ranks(a), _ranks(b))


def classification_metrics(labels: np.ndarray, logits: np.ndarray) -> dict[str, float]:
    """accuracy, f1, mcc of int labels `[N]` against logits `[N, C]`."""
    num_classes = logits.shape[-1]
    predictions = np.argmax(logits, -1)
    return {
        "accuracy": accuracy(labels, predictions),
        "f1": f1(labels, predictions, num_classes),
        "mcc": matthews_corrcoef(labels, predictions, num_classes),
    }


def regression_metrics(targets: ArrayLike, scores: ArrayLike) -> dict[str, float]:
    """pearson, spearman and mse of targets against predicted scores."""
    targets, scores = np.asarray(targets, np.float64).ravel(), np.asarray(scores, np.float64).ravel()
    return {
        "pearson": pearson(targets, scores),
        "spearman": spearman(targets, scores),
        "mse": float(((targets - scores) ** 2).mean()),
    }


def entity_spans(tags: Iterable[str]) -> set[tuple[str, int, int]]:
    """The set of `(type, start, end)` entity spans of a BIO (or plain) tag sequence."""
    spans, start, kind = set(), None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, name = tag.partition("-") if "-" in tag else ("B" if tag != "O" else "O", "", tag)
        if start is not None and (prefix in ("B", "O") or name != kind):
            spans.add((kind, start, i - 1))
            start, kind = None, None
        if prefix in ("B", "I") and start is None:
            start, kind = i, name
    return spans


def entity_scores(gold: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]]) -> dict[str, float]:
    """Entity-level micro precision, recall and F1 over sentences of BIO tags (the one copy of the rule).

    An entity counts as found only when a predicted span has exactly the
    gold span's start, end and type (`entity_spans`; an `I-` tag after `O`
    or after another type opens an entity, as in conlleval). Counts are
    summed over all sentences before dividing (micro average).

    Args:
        gold: one tag sequence per sentence, e.g. `[["B-PER", "I-PER", "O"], ...]`.
        predicted: the predicted tag sequences, in the same order (each as
            long as its gold sentence).

    Returns:
        A dict: entity_precision, entity_recall, entity_f1 (0.0 where a
        ratio has no denominator), and the counts gold_entities,
        predicted_entities, correct_entities.

    Raises:
        ValueError: different numbers of sentences, or a predicted sentence
            whose length differs from its gold one.
    """
    gold, predicted = list(gold), list(predicted)
    if len(gold) != len(predicted):
        raise ValueError(
            f"`gold` and `predicted` must have the same number of sentences. Received: {len(gold)} and "
            f"{len(predicted)}"
        )
    tp = n_pred = n_gold = 0
    for row, (gold_tags, pred_tags) in enumerate(zip(gold, predicted, strict=True)):
        if len(gold_tags) != len(pred_tags):
            raise ValueError(
                f"Sentence {row} must have as many predicted tags as gold tags. Received: {len(pred_tags)} "
                f"and {len(gold_tags)}"
            )
        gold_spans, pred_spans = entity_spans(gold_tags), entity_spans(pred_tags)
        tp += len(gold_spans & pred_spans)
        n_pred += len(pred_spans)
        n_gold += len(gold_spans)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    return {
        "entity_precision": precision,
        "entity_recall": recall,
        "entity_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "gold_entities": n_gold,
        "predicted_entities": n_pred,
        "correct_entities": tp,
    }


def token_classification_metrics(labels: np.ndarray, logits: np.ndarray, tag_names: list[str]) -> dict[str, float]:
    """Accuracy on labelled (first-piece) tokens and entity-level micro F1 (`entity_scores`).

    Args:
        labels: int `[N, T]`, -100 where not scored.
        logits: float `[N, T, C]`.
        tag_names: tag strings in id order.

    Returns:
        A dict: accuracy, entity_f1, entity_precision, entity_recall.
    """
    predictions = np.argmax(logits, -1)
    scored = labels >= 0
    result = {"accuracy": float((predictions[scored] == labels[scored]).mean())}
    gold = [[tag_names[i] for i in labels[row][scored[row]]] for row in range(labels.shape[0])]
    pred = [[tag_names[i] for i in predictions[row][scored[row]]] for row in range(labels.shape[0])]
    scores = entity_scores(gold, pred)
    for key in ("entity_precision", "entity_recall", "entity_f1"):
        result[key] = scores[key]
    return result


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalization: lowercase, no punctuation, articles or extra spaces."""
    text = text.lower()
    text = "".join(c for c in text if c not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def squad_exact(gold: str, prediction: str) -> float:
    """1.0 when the normalized texts are equal."""
    return float(normalize_answer(gold) == normalize_answer(prediction))


def squad_f1(gold: str, prediction: str) -> float:
    """Token-overlap F1 of normalized texts (1.0 when both are empty)."""
    gold_tokens, pred_tokens = normalize_answer(gold).split(), normalize_answer(prediction).split()
    if not gold_tokens or not pred_tokens:
        return float(gold_tokens == pred_tokens)
    common = collections.Counter(gold_tokens) & collections.Counter(pred_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def squad_metrics(examples: Iterable[Any], predictions: dict[str, str]) -> dict[str, float]:
    """exact_match and f1 (0-100, SQuAD's scale), max over each question's gold answers.

    Unanswerable questions have the gold answer "". Also gives
    has_answer_* and no_answer_* breakdowns when both kinds occur.
    """
    rows = []
    for ex in examples:
        golds = [a for a in ex.answers if normalize_answer(a)] or [""]
        prediction = predictions.get(ex.qid, "")
        rows.append((
            max(squad_exact(g, prediction) for g in golds),
            max(squad_f1(g, prediction) for g in golds),
            ex.is_impossible,
        ))
    result = {
        "exact_match": 100.0 * np.mean([r[0] for r in rows]),
        "f1": 100.0 * np.mean([r[1] for r in rows]),
        "num_questions": len(rows),
    }
    for name, flag in (("has_answer", False), ("no_answer", True)):
        part = [r for r in rows if r[2] == flag]
        if part and len(part) < len(rows):
            result[f"{name}_exact_match"] = 100.0 * np.mean([r[0] for r in part])
            result[f"{name}_f1"] = 100.0 * np.mean([r[1] for r in part])
    return {k: float(v) if not isinstance(v, int) else v for k, v in result.items()}
