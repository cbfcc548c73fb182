"""Classic baselines for the Chinese tasks: majority class, char n-gram TF-IDF + LR, a CRF for NER.

Every function takes plain lists and returns figures, so `bench/zh_tasks.py`
and the demo (`scripts/demo.sh`) score them on their own hash split:

    majority_accuracy(train_texts, train_labels, eval_texts, eval_labels) -> float
    tfidf_lr_accuracy(train_texts, train_labels, eval_texts, eval_labels) -> float
    crf_entity_scores(train_sentences, eval_sentences) -> {"entity_f1": ..., ...}

* **TF-IDF + LR**: character 1–3-grams (Chinese needs no word segmenter),
  sublinear term frequency, n-grams seen in at least 2 training texts, L2
  rows; multinomial logistic regression (lbfgs). The strongest cheap
  baseline for short reviews.
* **CRF** (sklearn-crfsuite, L-BFGS with L1 + L2): per character the
  characters at offsets -2..+2, the bigrams around it, its kind (CJK, digit,
  Latin, punctuation, other) and those of its neighbours, sentence start and
  end. Scored by `albert_keras.training.metrics.entity_scores` (exact span
  and type, micro), the same rule as the fine-tuned taggers.

Needs the `bench` extra (scikit-learn, sklearn-crfsuite), imported when a
baseline runs.
"""

import collections
import unicodedata
from collections.abc import Hashable, Iterator, Sequence

from albert_keras.training.metrics import accuracy, entity_scores

Sentence = tuple[Sequence[str], Sequence[str]]  # (characters, BIO tags)


def _check_pairs(texts: Sequence, labels: Sequence, name: str) -> None:
    if len(texts) != len(labels):
        raise ValueError(f"`{name}_texts` and `{name}_labels` must be as long. Received: {len(texts)} and "
                         f"{len(labels)}")
    if not texts:
        raise ValueError(f"`{name}_texts` must not be empty. Received: 0 texts")


def majority_accuracy(
    train_texts: Sequence[str], train_labels: Sequence[Hashable], eval_texts: Sequence[str],
    eval_labels: Sequence[Hashable],
) -> float:
    """Eval accuracy of always answering the most frequent training label.

    Args:
        train_texts, train_labels: the training split (the texts are not used;
            the signature matches `tfidf_lr_accuracy`).
        eval_texts, eval_labels: the held-out split.

    Returns:
        The fraction of `eval_labels` equal to the training majority (ties:
        the label seen first).

    Raises:
        ValueError: empty or mismatched lists.
    """
    _check_pairs(train_texts, train_labels, "train")
    _check_pairs(eval_texts, eval_labels, "eval")
    majority = collections.Counter(train_labels).most_common(1)[0][0]
    return accuracy([str(label) for label in eval_labels], [str(majority)] * len(eval_labels))


def tfidf_lr_predict(
    train_texts: Sequence[str], train_labels: Sequence[Hashable], eval_texts: Sequence[str],
    ngram_range: tuple[int, int] = (1, 3), min_df: int = 2, c: float = 4.0, max_iter: int = 1000,
) -> list:
    """Fits char n-gram TF-IDF + logistic regression on the training split; predicts the eval texts.

    Args:
        train_texts, train_labels: the training split.
        eval_texts: the texts to label.
        ngram_range: the character n-gram lengths (inclusive).
        min_df: the fewest training texts an n-gram must occur in.
        c: the inverse L2 strength of the regression (`C`).
        max_iter: lbfgs iterations.

    Returns:
        The predicted label of each eval text (of the training labels' type).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    _check_pairs(train_texts, train_labels, "train")
    if len(set(train_labels)) < 2:
        raise ValueError(f"`train_labels` must hold at least 2 classes. Received: {sorted(set(train_labels))}")
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=tuple(ngram_range), min_df=min_df,
                                 sublinear_tf=True, lowercase=True)
    features = vectorizer.fit_transform(list(train_texts))
    model = LogisticRegression(C=c, max_iter=max_iter)
    model.fit(features, list(train_labels))
    return list(model.predict(vectorizer.transform(list(eval_texts))))


def tfidf_lr_accuracy(
    train_texts: Sequence[str], train_labels: Sequence[Hashable], eval_texts: Sequence[str],
    eval_labels: Sequence[Hashable], **options,
) -> float:
    """Eval accuracy of char n-gram (1–3) TF-IDF + logistic regression (`tfidf_lr_predict`).

    Args:
        train_texts, train_labels: the training split.
        eval_texts, eval_labels: the held-out split.
        **options: `tfidf_lr_predict`'s ngram_range, min_df, c, max_iter.

    Returns:
        The fraction of eval texts labelled correctly.

    Raises:
        ValueError: empty or mismatched lists, or fewer than 2 training classes.
    """
    _check_pairs(eval_texts, eval_labels, "eval")
    predictions = tfidf_lr_predict(train_texts, train_labels, eval_texts, **options)
    return accuracy([str(p) for p in predictions], [str(label) for label in eval_labels])


def char_kind(char: str) -> str:
    """"digit", "space", "punct", "cjk", "latin" or "other": the kind of a character (a CRF feature)."""
    if char.isdigit():
        return "digit"
    if char.isspace():
        return "space"
    category, name = unicodedata.category(char), unicodedata.name(char, "")
    if category[0] in "PS":
        return "punct"
    if "CJK" in name:
        return "cjk"
    return "latin" if category[0] == "L" and "LATIN" in name else "other"


def char_window_features(chars: Sequence[str]) -> list[list[str]]:
    """The CRF features of each character of a sentence (crfsuite string attributes).

    Args:
        chars: the sentence, one character (token) each.

    Returns:
        One list of feature strings per character: the characters at
        offsets -2..+2 (`c-1=X`, with `<s>`/`</s>` past the ends), the
        bigrams `c-1c0`, `c0c+1` and `c-1c+1`, the kinds of the characters
        at -1, 0, +1, and `BOS`/`EOS` on the first and last character.
    """
    padded = ["<s>", "<s>"] + list(chars) + ["</s>", "</s>"]
    kinds = ["<s>", "<s>"] + [char_kind(c) for c in chars] + ["</s>", "</s>"]
    rows = []
    for i in range(len(chars)):
        j = i + 2
        row = ["bias"] + [f"c{k:+d}={padded[j + k]}" for k in (-2, -1, 0, 1, 2)]
        row += [f"c-1c0={padded[j - 1]}{padded[j]}", f"c0c+1={padded[j]}{padded[j + 1]}",
                f"c-1c+1={padded[j - 1]}{padded[j + 1]}"]
        row += [f"k{k:+d}={kinds[j + k]}" for k in (-1, 0, 1)]
        if i == 0:
            row.append("BOS")
        if i == len(chars) - 1:
            row.append("EOS")
        rows.append(row)
    return rows


def crf_entity_scores(
    train_sentences: Sequence[Sentence], eval_sentences: Sequence[Sentence], c1: float = 0.05,
    c2: float = 0.01, max_iterations: int = 100,
) -> dict[str, float]:
    """Trains a character-window CRF on the training sentences and scores entities on the eval ones.

    Args:
        train_sentences, eval_sentences: `(characters, BIO tags)` pairs.
        c1, c2: the L1 and L2 strengths.
        max_iterations: L-BFGS iterations.

    Returns:
        `albert_keras.training.metrics.entity_scores` of the eval
        predictions: entity_precision, entity_recall, entity_f1 and the counts.

    Raises:
        ValueError: no sentences, or characters and tags of different lengths.
    """
    import sklearn_crfsuite

    for name, sentences in (("train_sentences", train_sentences), ("eval_sentences", eval_sentences)):
        if not sentences:
            raise ValueError(f"`{name}` must not be empty. Received: 0 sentences")
        for row, (chars, tags) in enumerate(sentences):
            if len(chars) != len(tags):
                raise ValueError(f"`{name}[{row}]` must have a tag per character. Received: {len(chars)} "
                                 f"characters and {len(tags)} tags")

    def features() -> Iterator[list[list[str]]]:  # fed one sentence at a time: crfsuite keeps them compactly
        for chars, _ in train_sentences:
            yield char_window_features(chars)

    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=c1, c2=c2, max_iterations=max_iterations,
                               all_possible_transitions=True)
    crf.fit(features(), [list(tags) for _, tags in train_sentences])
    predicted = [crf.predict_single(char_window_features(chars)) for chars, _ in eval_sentences]
    return entity_scores([list(tags) for _, tags in eval_sentences], predicted)
