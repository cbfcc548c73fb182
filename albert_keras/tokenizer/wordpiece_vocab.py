"""BERT WordPiece vocabularies: read, write and train ``vocab.txt``.

A WordPiece vocabulary directory holds:

* ``vocab.txt`` (Google's Chinese ALBERT tarballs name it
  ``vocab_chinese.txt``): one token per line, the line number (from 0) is the
  id; a token that continues a word starts with ``##``;
* ``tokenizer.json``: ``{"kind": "wordpiece", "lowercase": bool,
  "strip_accents": bool}``. Without it, ``lowercase`` is True and
  ``strip_accents`` follows ``lowercase``, as in BERT.

The five special tokens ``[PAD]``, ``[UNK]``, ``[CLS]``, ``[SEP]``, ``[MASK]``
must be in the file; their ids are read from it (`special_ids`).

`train_wordpiece` learns a vocabulary from text with a count-based greedy
algorithm (the idea of TF Text's ``bert_vocab_from_dataset`` learner,
written here in pure Python): see its docstring.
"""

import collections
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from albert_keras.tokenizer import bert_text
from albert_keras.tokenizer.special_ids import SpecialIds

VOCAB_FILES = ("vocab.txt", "vocab_chinese.txt")
VOCAB_FILE = VOCAB_FILES[0]
CONFIG_FILE = "tokenizer.json"
KIND = "wordpiece"
PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
CLS_TOKEN = "[CLS]"
SEP_TOKEN = "[SEP]"
MASK_TOKEN = "[MASK]"
SPECIAL_TOKENS = (PAD_TOKEN, UNK_TOKEN, CLS_TOKEN, SEP_TOKEN, MASK_TOKEN)
SUFFIX = "##"
# Words longer than this (in characters) are one [UNK], as in BERT.
MAX_CHARS_PER_WORD = 100

Vocabulary = Sequence[str] | str | os.PathLike  # tokens, a vocab.txt path or a vocabulary dir


def find_vocab_file(directory: str | os.PathLike) -> str | None:
    """The path of `vocab.txt` (or `vocab_chinese.txt`) in `directory`, or None."""
    for name in VOCAB_FILES:
        path = os.path.join(os.fspath(directory), name)
        if os.path.isfile(path):
            return path
    return None


def has_vocab(directory: str | os.PathLike) -> bool:
    """True when `directory` (a vocab dir or model dir) holds a WordPiece vocab file."""
    return os.path.isdir(os.fspath(directory)) and find_vocab_file(directory) is not None


def vocab_path(vocab_dir_or_file: str | os.PathLike) -> str:
    """Returns the vocab file path of a vocabulary dir or file.

    Raises:
        FileNotFoundError: no `vocab.txt`/`vocab_chinese.txt` there.
    """
    path = os.fspath(vocab_dir_or_file)
    if os.path.isdir(path):
        found = find_vocab_file(path)
        if found is None:
            raise FileNotFoundError(
                f"WordPiece vocabulary not found in {path!r}: expected one of {', '.join(VOCAB_FILES)}"
            )
        return found
    if not os.path.isfile(path):
        raise FileNotFoundError(f"WordPiece vocabulary not found: {path!r} (give a vocab.txt file or its directory)")
    return path


def read_vocab(vocab_dir_or_file: str | os.PathLike) -> list[str]:
    """Reads and checks a BERT vocab file.

    Args:
        vocab_dir_or_file: a `vocab.txt`/`vocab_chinese.txt` path or the
            directory holding it.

    Returns:
        The tokens; token i has id i.

    Raises:
        ValueError: the file is empty or not UTF-8, a line is empty, a token
            is listed twice, or a special token is missing. The message names
            the file and the line. (A token that holds whitespace, such as
            ``\u3000`` in some released vocabularies, is kept, as BERT keeps
            it; tokenization never produces it.)
    """
    path = vocab_path(vocab_dir_or_file)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except UnicodeDecodeError as e:
        raise ValueError(f"{path}: the vocab file must be UTF-8 text. Received: {e}") from e
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    return check_tokens([line.rstrip("\r") for line in lines], path)


def check_tokens(tokens: Sequence[str], source: str = "vocabulary") -> list[str]:
    """Checks a token list like `read_vocab` does; `source` names it in errors."""
    tokens = list(tokens)
    if not tokens:
        raise ValueError(f"{source}: the WordPiece vocabulary is empty; it must hold one token per line")
    seen: dict[str, int] = {}
    for i, token in enumerate(tokens):
        if not isinstance(token, str):
            raise ValueError(f"{source}: every token must be a str. Received: {token!r} at id {i}")
        if token == "":
            raise ValueError(f"{source}, line {i + 1}: a token must be non-empty. Received: an empty line")
        if token in seen:
            raise ValueError(
                f"{source}, line {i + 1}: duplicate token {token!r} (first on line {seen[token] + 1})"
            )
        seen[token] = i
    missing = [t for t in SPECIAL_TOKENS if t not in seen]
    if missing:
        raise ValueError(
            f"{source}: the WordPiece vocabulary must hold the special tokens {', '.join(SPECIAL_TOKENS)}. "
            f"Missing: {', '.join(missing)}"
        )
    return tokens


def special_ids(tokens: Sequence[str]) -> SpecialIds:
    """The `SpecialIds` of a checked token list (ids read from it)."""
    index = {t: i for i, t in enumerate(tokens)}
    return SpecialIds(
        pad=index[PAD_TOKEN],
        unk=index[UNK_TOKEN],
        cls=index[CLS_TOKEN],
        sep=index[SEP_TOKEN],
        mask=index[MASK_TOKEN],
        pad_token=PAD_TOKEN,
        unk_token=UNK_TOKEN,
        cls_token=CLS_TOKEN,
        sep_token=SEP_TOKEN,
        mask_token=MASK_TOKEN,
    )


def load_tokens(vocabulary: Vocabulary) -> list[str]:
    """Returns the checked tokens from a token list, a vocab file or a vocab dir."""
    if isinstance(vocabulary, (str, os.PathLike)):
        return read_vocab(vocabulary)
    if isinstance(vocabulary, (bytes, bytearray)) or not isinstance(vocabulary, Sequence):
        raise TypeError(
            f"`vocabulary` must be a list of tokens or a vocab path. Received: {type(vocabulary).__name__}"
        )
    return check_tokens(vocabulary)


def read_options(vocab_dir_or_file: str | os.PathLike) -> dict[str, bool]:
    """The `lowercase` and `strip_accents` options of a WordPiece vocabulary.

    Args:
        vocab_dir_or_file: the vocabulary dir, or its vocab file.

    Returns:
        ``{"lowercase": bool, "strip_accents": bool}`` from `tokenizer.json`;
        without the file (or a key), lowercase is True and strip_accents
        follows lowercase.

    Raises:
        ValueError: `tokenizer.json` is not JSON, or names another kind.
    """
    path = os.fspath(vocab_dir_or_file)
    directory = path if os.path.isdir(path) else os.path.dirname(path)
    config: dict[str, Any] = {}
    config_path = os.path.join(directory, CONFIG_FILE)
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            try:
                config = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{config_path}: invalid JSON ({e.msg})") from e
        if config.get("kind", KIND) != KIND:
            raise ValueError(
                f"{config_path}: `kind` must be {KIND!r} next to a vocab.txt. Received: {config['kind']!r}"
            )
    lowercase = bool(config.get("lowercase", True))
    strip_accents = config.get("strip_accents")
    return {"lowercase": lowercase, "strip_accents": lowercase if strip_accents is None else bool(strip_accents)}


def resolve_options(
    vocabulary: Vocabulary | None, lowercase: bool | None, strip_accents: bool | None
) -> tuple[bool, bool]:
    """Fills `None` options from `tokenizer.json` when `vocabulary` is a path.

    Without a file, lowercase defaults to True and strip_accents to lowercase.
    """
    if isinstance(vocabulary, (str, os.PathLike)) and (lowercase is None or strip_accents is None):
        options = read_options(vocabulary)
        if lowercase is None:
            lowercase = options["lowercase"]
            if strip_accents is None:
                strip_accents = options["strip_accents"]
    if lowercase is None:
        lowercase = True
    if strip_accents is None:
        strip_accents = lowercase
    return bool(lowercase), bool(strip_accents)


def write_wordpiece_vocab(
    output_dir: str | os.PathLike,
    tokens: Sequence[str],
    lowercase: bool = True,
    strip_accents: bool | None = None,
) -> str:
    """Writes `vocab.txt` and `tokenizer.json` to `output_dir`.

    Args:
        output_dir: the vocabulary dir (created if needed).
        tokens: the checked tokens, id order.
        lowercase: the tokenizer lowercases.
        strip_accents: the tokenizer strips accents; `None` follows lowercase.

    Returns:
        The path of the written `vocab.txt`.
    """
    tokens = check_tokens(tokens)
    if strip_accents is None:
        strip_accents = lowercase
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, VOCAB_FILE)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(t + "\n" for t in tokens))
    config = {
        "kind": KIND,
        "lowercase": bool(lowercase),
        "strip_accents": bool(strip_accents),
        "vocab_size": len(tokens),
        "special_tokens": {t: i for i, t in enumerate(tokens) if t in SPECIAL_TOKENS},
    }
    with open(os.path.join(output_dir, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    return path


# --- Training ---------------------------------------------------------------


def word_counts(documents: Iterable[str], lowercase: bool = True, strip_accents: bool | None = None) -> dict[str, int]:
    """Counts the BERT words (`bert_text.basic_tokenize`) of `documents`."""
    counts: collections.Counter[str] = collections.Counter()
    for document in documents:
        counts.update(bert_text.basic_tokenize(document, lowercase, strip_accents))
    return dict(counts)


def _segment(word: str, vocab: set[str]) -> list[int] | None:
    """The end indices of the greedy longest-match WordPiece split of `word`, or None."""
    ends = []
    start = 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else SUFFIX + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:
            return None
        ends.append(end)
        start = end
    return ends


def _count_substrings(words: list[tuple[str, int]], current: set[str] | None, max_piece_chars: int
                      ) -> list[dict[str, int]]:
    """Counts, by length, every substring that starts at a boundary of the current split of each word.

    With `current` None every position is a boundary. Counts are weighted by
    the word's count; a substring not at a word start gets the ``##`` prefix.
    """
    by_length: list[dict[str, int]] = [collections.defaultdict(int) for _ in range(max_piece_chars + 1)]
    for word, count in words:
        ends = _segment(word, current) if current is not None else None
        starts = [0] + (ends[:-1] if ends else list(range(1, len(word))))
        for start in starts:
            for end in range(start + 1, min(len(word), start + max_piece_chars) + 1):
                piece = word[start:end] if start == 0 else SUFFIX + word[start:end]
                by_length[end - start][piece] += count
    return by_length


def _learn(words: list[tuple[str, int]], threshold: int, alphabet: set[str], first_counts: list[dict[str, int]],
           max_piece_chars: int, iterations: int) -> dict[str, int]:
    """Learns the pieces kept at count `threshold` (one run of the greedy learner)."""
    kept: dict[str, int] = {}
    for iteration in range(iterations):
        if iteration == 0:
            by_length = [dict(counts) for counts in first_counts]  # the first pass does not depend on t
        else:
            by_length = _count_substrings(words, set(kept) | alphabet, max_piece_chars)
        # Keep the longest frequent pieces first; a kept piece takes its
        # count away from its prefixes, which it makes redundant.
        kept = {}
        for length in range(max_piece_chars, 1, -1):
            for piece in sorted(by_length[length]):
                count = by_length[length][piece]
                if count < threshold:
                    continue
                kept[piece] = count
                offset = len(SUFFIX) if piece.startswith(SUFFIX) else 0
                for cut in range(offset + 1, len(piece)):
                    prefix = piece[:cut]
                    prefix_length = cut - offset
                    if prefix in by_length[prefix_length]:
                        by_length[prefix_length][prefix] -= count
    return kept


def train_wordpiece(
    documents: Iterable[str],
    vocab_size: int,
    lowercase: bool = True,
    strip_accents: bool | None = None,
    max_piece_chars: int = 16,
    iterations: int = 4,
) -> list[str]:
    """Trains a WordPiece vocabulary (deterministic, pure Python).

    The documents are split into BERT words (`bert_text.basic_tokenize`, so
    every CJK character is its own word). The vocabulary is:

    1. the special tokens ``[PAD] [UNK] [CLS] [SEP] [MASK]`` (ids 0-4);
    2. the alphabet: every character that starts a word, then ``##`` + every
       character that continues one, most frequent first. With the whole
       alphabet in the vocabulary every training word can be tokenized, so
       no training text gives ``[UNK]`` (when the alphabet alone does not fit
       in `vocab_size`, its rarest characters are left out);
    3. multi-character pieces learned by a count-based greedy algorithm: for a
       count threshold t, count every substring that starts at a boundary of
       the current split of each word (weighted by the word's count), keep
       the substrings seen at least t times from the longest down, each kept
       piece taking its count away from its prefixes, and repeat with the
       new pieces `iterations` times. A binary search over t picks the
       largest set that fits in `vocab_size`. Pieces are ordered word starts
       first, then ``##`` pieces, each by count (ties by string).

    Words longer than 100 characters (always ``[UNK]``) are not learned from.

    Args:
        documents: the text.
        vocab_size: the most tokens to return (special tokens included).
        lowercase: lowercase as the tokenizer will.
        strip_accents: strip accents as the tokenizer will; `None` follows
            `lowercase`.
        max_piece_chars: the longest learned piece, in characters.
        iterations: the passes of the learner.

    Returns:
        The tokens, id order; write them with `write_wordpiece_vocab`.
    """
    if not isinstance(vocab_size, int) or vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"`vocab_size` must be an int > {len(SPECIAL_TOKENS)}. Received: vocab_size={vocab_size!r}")
    if not isinstance(max_piece_chars, int) or max_piece_chars < 1:
        raise ValueError(f"`max_piece_chars` must be a positive int. Received: max_piece_chars={max_piece_chars!r}")
    if not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"`iterations` must be a positive int. Received: iterations={iterations!r}")
    counts = word_counts(documents, lowercase, strip_accents)
    words = sorted((w, c) for w, c in counts.items() if len(w) <= MAX_CHARS_PER_WORD and w not in SPECIAL_TOKENS)
    if not words:
        raise ValueError("No text to train the vocabulary on (all documents are empty)")

    char_counts: collections.Counter[str] = collections.Counter()
    for word, count in words:
        char_counts[word[0]] += count
        for char in word[1:]:
            char_counts[SUFFIX + char] += count
    room = vocab_size - len(SPECIAL_TOKENS)
    alphabet_order = sorted(char_counts, key=lambda p: (p.startswith(SUFFIX), -char_counts[p], p))
    if len(alphabet_order) > room:
        keep = set(sorted(char_counts, key=lambda p: (-char_counts[p], p))[:room])
        alphabet_order = [p for p in alphabet_order if p in keep]
    alphabet = set(alphabet_order)
    room -= len(alphabet)

    learned: dict[str, int] = {}
    if room > 0:
        first_counts = _count_substrings(words, None, max_piece_chars)
        low, high = 1, max(max(counts.values(), default=0) for counts in first_counts) + 1
        while low < high:  # the smallest threshold whose pieces fit
            mid = (low + high) // 2
            if len(_learn(words, mid, alphabet, first_counts, max_piece_chars, iterations).keys() - alphabet) <= room:
                high = mid
            else:
                low = mid + 1
        learned = _learn(words, low, alphabet, first_counts, max_piece_chars, iterations)
    pieces = sorted(
        (p for p in learned if p not in alphabet and p not in SPECIAL_TOKENS),
        key=lambda p: (p.startswith(SUFFIX), -learned[p], p),
    )[:room]
    return list(SPECIAL_TOKENS) + alphabet_order + pieces
