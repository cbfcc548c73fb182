"""Picks the tokenizer of a model dir or vocab dir: SentencePiece or WordPiece.

A model dir or vocab dir holds either

* ``spiece.model`` (+ ``tokenizer.json`` with `lowercase`/`strip_accents`):
  the ALBERT SentencePiece tokenizer (`AlbertTokenizer`,
  `SentencePieceEncoder`); or
* ``vocab.txt`` (or Google's Chinese ``vocab_chinese.txt``) (+
  ``tokenizer.json`` with ``{"kind": "wordpiece", ...}``): the BERT WordPiece
  tokenizer (`WordPieceTokenizer`, `WordPieceEncoder`).

`load_tokenizer` and `load_encoder` choose by the files present, so every
consumer (preprocessor, export, pipeline, training) works with either kind.
When a dir holds both, `tokenizer.json`'s `kind` decides (SentencePiece when
it names none).
"""

import os
from typing import TYPE_CHECKING, Any, Union

from albert_keras.tokenizer import vocab

if TYPE_CHECKING:  # the classes import TensorFlow; `tokenizer_kind` callers (configs) need not
    from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder
    from albert_keras.tokenizer.wordpiece_encoder import WordPieceEncoder
    from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer

SENTENCEPIECE = "sentencepiece"
WORDPIECE = "wordpiece"
KINDS = (SENTENCEPIECE, WORDPIECE)
SPM_FILE = vocab.MODEL_FILE  # "spiece.model"
WORDPIECE_FILE = "vocab.txt"
WORDPIECE_FILES = (WORDPIECE_FILE, "vocab_chinese.txt")  # in the order they are looked for
CONFIG_FILE = vocab.CONFIG_FILE  # "tokenizer.json"
Encoder = Union["SentencePieceEncoder", "WordPieceEncoder"]  # the Python tokenizers
Tokenizer = Union["AlbertTokenizer", "WordPieceTokenizer"]  # the in-graph tokenizer layers
# The files that make up a vocabulary, of either kind (what pipelines copy).
VOCAB_FILES = (SPM_FILE, vocab.VOCAB_FILE, *WORDPIECE_FILES, CONFIG_FILE)


def _directory_kind(directory: str) -> str | None:
    has_spm = os.path.isfile(os.path.join(directory, SPM_FILE))
    has_wordpiece = any(os.path.isfile(os.path.join(directory, name)) for name in WORDPIECE_FILES)
    if has_spm and has_wordpiece:
        kind = vocab.read_vocab_options(directory).get("kind", SENTENCEPIECE)
        return kind if kind in KINDS else SENTENCEPIECE
    if has_spm:
        return SENTENCEPIECE
    if has_wordpiece:
        return WORDPIECE
    return None


def tokenizer_kind(path: str | os.PathLike) -> str:
    """The tokenizer kind of a model dir, vocab dir or vocabulary file.

    Args:
        path: a directory holding ``spiece.model`` or ``vocab.txt`` /
            ``vocab_chinese.txt``, or one of those files (a ``.model`` file is
            SentencePiece, a ``.txt`` file WordPiece).

    Returns:
        "sentencepiece" or "wordpiece".

    Raises:
        FileNotFoundError: `path` does not exist, or is a dir with neither file.
        ValueError: `path` is a file that is neither a ``.model`` nor a ``.txt``.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        kind = _directory_kind(path)
        if kind is None:
            raise FileNotFoundError(
                f"No tokenizer vocabulary in {path!r}: looked for {SPM_FILE} (SentencePiece) and "
                f"{' or '.join(WORDPIECE_FILES)} (WordPiece)."
            )
        return kind
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No such vocabulary file or directory: {path!r} (give a model/vocab dir, a {SPM_FILE} or a "
            f"{WORDPIECE_FILE})."
        )
    if path.endswith(".model"):
        return SENTENCEPIECE
    if path.endswith(".txt"):
        return WORDPIECE
    raise ValueError(
        f"A vocabulary file must be a SentencePiece `.model` or a WordPiece `.txt`. Received: {path!r}"
    )


def vocab_file(path: str | os.PathLike) -> str:
    """The vocabulary file of a dir (its ``spiece.model`` or ``vocab.txt``), or `path` itself if a file."""
    path = os.fspath(path)
    kind = tokenizer_kind(path)
    if not os.path.isdir(path):
        return path
    names = (SPM_FILE,) if kind == SENTENCEPIECE else WORDPIECE_FILES
    return next(os.path.join(path, n) for n in names if os.path.isfile(os.path.join(path, n)))


def has_vocabulary(directory: str | os.PathLike) -> bool:
    """True when `directory` holds a vocabulary of either kind."""
    directory = os.fspath(directory)
    return os.path.isdir(directory) and _directory_kind(directory) is not None


def tokenizer_options(path: str | os.PathLike) -> dict[str, Any]:
    """What a model dir's ``tokenizer.json`` keeps of the vocabulary at `path`.

    Returns:
        ``{"lowercase": bool, "strip_accents": bool}``, plus
        ``"kind": "wordpiece"`` for a WordPiece vocabulary.
    """
    if tokenizer_kind(path) == WORDPIECE:
        from albert_keras.tokenizer import wordpiece_vocab

        return {"kind": WORDPIECE, **wordpiece_vocab.read_options(path)}
    return dict(vocab.tokenizer_options(path))


def load_tokenizer(path: str | os.PathLike, **kwargs: Any) -> Tokenizer:
    """The in-graph tokenizer layer of a model dir, vocab dir or vocabulary file.

    Args:
        path: see `tokenizer_kind`.
        **kwargs: constructor args of the layer (`lowercase`,
            `strip_accents`, `sequence_length`, `name`, ...).

    Returns:
        An `AlbertTokenizer` (SentencePiece) or a `WordPieceTokenizer`.
    """
    if tokenizer_kind(path) == WORDPIECE:
        from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer

        return WordPieceTokenizer(vocab_file(path), **kwargs)
    from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer

    return AlbertTokenizer(os.fspath(path), **kwargs)


def load_encoder(path: str | os.PathLike, **kwargs: Any) -> Encoder:
    """The Python tokenizer (twin of `load_tokenizer`'s layer) of a model dir, vocab dir or file.

    Args:
        path: see `tokenizer_kind`.
        **kwargs: constructor args (`lowercase`, `strip_accents`).

    Returns:
        A `SentencePieceEncoder` or a `WordPieceEncoder`.
    """
    if tokenizer_kind(path) == WORDPIECE:
        from albert_keras.tokenizer.wordpiece_encoder import WordPieceEncoder

        return WordPieceEncoder(vocab_file(path), **kwargs)
    from albert_keras.tokenizer.sentencepiece_encoder import SentencePieceEncoder

    return SentencePieceEncoder(os.fspath(path), **kwargs)


def tokenizer_classes() -> tuple[type, ...]:
    """The in-graph tokenizer layer classes (for isinstance checks)."""
    # Imported here: the layers import TensorFlow, and `tokenizer_kind` callers (configs) need not.
    from albert_keras.tokenizer.albert_tokenizer import AlbertTokenizer
    from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer

    return (AlbertTokenizer, WordPieceTokenizer)
