"""Token classification data from CoNLL-style files.

One token a line, whitespace-separated columns, the first the word and the
last its tag (e.g. `EU NNP B-NP B-ORG` or `Paris B-LOC`); a blank line ends
a sentence; `-DOCSTART-` lines are skipped. A line holding a tab is split on
tabs only, so the character-per-line layout of Chinese NER data
(`字<TAB>B-PER`, the MSRA corpus) keeps a token that is itself a space
(`\u3000<TAB>O`). Each word is tokenized alone;
its first piece carries the tag, the other pieces and the special tokens
get -100 (ignored by `AlbertTokenClassifier`).
"""

import os

import numpy as np

from albert_keras import features
from albert_keras.data import tabular
from albert_keras.data.errors import DataError
from albert_keras.tokenizer.loading import Encoder

IGNORE = -100


def read_conll(path: str | os.PathLike) -> list[tuple[list[str], list[str]]]:
    """Returns a list of `(words, tags)` sentences.

    Raises:
        DataError: a missing or non-UTF-8 file, a line with one column (or
            an empty word or tag), or no sentence at all; it names the file
            and line.
    """
    sentences, words, tags = [], [], []
    for number, line in enumerate(tabular.read_text(path).split("\n"), start=1):
        if not line.strip():
            if words:
                sentences.append((words, tags))
                words, tags = [], []
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        if parts[0] == "-DOCSTART-":
            continue
        word, tag = parts[0].strip() or parts[0], parts[-1].strip()  # a space token stays itself
        if len(parts) < 2 or not word or not tag:
            raise DataError(f"A line must hold 'word ... tag'. Received: {line!r}", path, number)
        words.append(word)
        tags.append(tag)
    if words:
        sentences.append((words, tags))
    if not sentences:
        raise DataError("The file holds no sentences", path)
    return sentences


def collect_tags(path: str | os.PathLike) -> list[str]:
    """Sorted distinct tags of a file (with "O" first when present)."""
    tags = sorted({t for _, ts in read_conll(path) for t in ts})
    if "O" in tags:
        tags.remove("O")
        tags.insert(0, "O")
    return tags


def encode_conll(
    path: str | os.PathLike, encoder: Encoder, sequence_length: int, tags: list[str]
) -> tuple[dict[str, np.ndarray], np.ndarray, list[tuple[list[str], list[str]]]]:
    """Reads and encodes a CoNLL file.

    Args:
        path: the file.
        encoder: a `SentencePieceEncoder` or `WordPieceEncoder` (its ids and `special_ids`).
        sequence_length: T (longer sentences are truncated; their cut-off
            words get no label and are not scored).
        tags: tag names in id order.

    Returns:
        `(x, y, sentences)`: x a dict of int32 `[N, T]`, y int32 `[N, T]`
        (-100 where ignored), and the `(words, tags)` list.
    """
    index = {t: i for i, t in enumerate(tags)}
    sentences = read_conll(path)
    special = encoder.special_ids
    tokens = np.full((len(sentences), sequence_length), special.pad, np.int32)
    padding = np.zeros((len(sentences), sequence_length), np.int32)
    labels = np.full((len(sentences), sequence_length), IGNORE, np.int32)
    for row, (words, word_tags) in enumerate(sentences):
        ids, labs = [special.cls], [IGNORE]
        for word, tag in zip(words, word_tags, strict=True):
            if tag not in index:
                raise DataError(f"The tag of {word!r} in sentence {row + 1} must be one of {tags}. Received: {tag!r}",
                                path)
            pieces = encoder.encode(word) or [special.unk]
            ids.extend(pieces)
            labs.extend([index[tag]] + [IGNORE] * (len(pieces) - 1))
        ids, labs = ids[: sequence_length - 1] + [special.sep], labs[: sequence_length - 1] + [IGNORE]
        tokens[row, : len(ids)] = ids
        padding[row, : len(ids)] = 1
        labels[row, : len(labs)] = labs
    x = {features.TOKEN_IDS: tokens, features.SEGMENT_IDS: np.zeros_like(tokens), features.PADDING_MASK: padding}
    return x, labels, sentences
