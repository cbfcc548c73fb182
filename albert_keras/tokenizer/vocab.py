"""Trains the ALBERT SentencePiece vocabulary.

The model is a SentencePiece unigram model with the original ALBERT special
ids: ``<pad>``=0, ``<unk>``=1, ``[CLS]``=2, ``[SEP]``=3, ``[MASK]``=4
(``[CLS]``/``[SEP]``/``[MASK]`` are control symbols: SentencePiece never
produces them from text; `AlbertTokenizer` inserts them where the input holds
the literal strings). BOS/EOS are disabled.

A vocabulary directory holds:

* ``spiece.model``: the serialized SentencePiece model proto;
* ``spiece.vocab``: one ``piece<TAB>score`` per line, for people;
* ``tokenizer.json``: the normalization options the model was trained with
  (``lowercase``, ``strip_accents``) and the training settings.

Training is reproducible: the same documents, options and seed give the same
``spiece.model`` bytes.
"""

import io
import json
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import sentencepiece as spm

from albert_keras import features

MODEL_FILE = "spiece.model"
VOCAB_FILE = "spiece.vocab"
CONFIG_FILE = "tokenizer.json"
CONTROL_SYMBOLS = (features.CLS_TOKEN, features.SEP_TOKEN, features.MASK_TOKEN)
# SentencePiece drops longer input lines; we cut them instead.
_MAX_SENTENCE_CHARS = 2000


def training_lines(documents: Iterable[str], lowercase: bool = True, strip_accents: bool = True) -> Iterator[str]:
    """Yields the normalized, non-empty lines of `documents` to train on."""
    # normalize also holds the TF twin (imports TensorFlow); configs and the CLI read this module without it.
    from albert_keras.tokenizer import normalize

    for document in documents:
        for line in document.split("\n"):
            line = normalize.preprocess_text(line, lowercase=lowercase, strip_accents=strip_accents)
            while line:
                yield line[:_MAX_SENTENCE_CHARS]
                line = line[_MAX_SENTENCE_CHARS:]


def train_sentencepiece(
    documents: Iterable[str],
    vocab_size: int,
    lowercase: bool = True,
    strip_accents: bool = True,
    character_coverage: float = 0.9995,
    seed: int = 0,
    num_threads: int = 1,
    verbose: bool = False,
) -> bytes:
    """Trains a unigram SentencePiece model on `documents`.

    Args:
        documents: a list of document strings.
        vocab_size: the number of pieces, special symbols included.
        lowercase: lowercase the text before training (and at tokenization).
        strip_accents: strip accents before training (and at tokenization).
        character_coverage: the fraction of characters the model covers; the
            rest map to ``<unk>``. 0.9995 keeps the common CJK characters.
        seed: seeds SentencePiece's random generator.
        num_threads: training threads.
        verbose: let SentencePiece log its progress to stderr.

    Returns:
        The serialized model proto (bytes).
    """
    if not isinstance(vocab_size, int) or vocab_size <= len(features.SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be an int > {len(features.SPECIAL_TOKENS)}, got {vocab_size!r}")
    if not 0.0 < character_coverage <= 1.0:
        raise ValueError(f"character_coverage must be in (0, 1], got {character_coverage!r}")
    lines = list(training_lines(documents, lowercase, strip_accents))
    if not lines:
        raise ValueError("No text to train the vocabulary on (all documents are empty)")
    spm.set_random_generator_seed(int(seed))
    writer = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines),
            model_writer=writer,
            model_type="unigram",
            vocab_size=vocab_size,
            character_coverage=character_coverage,
            pad_id=features.PAD_ID,
            unk_id=features.UNK_ID,
            bos_id=-1,
            eos_id=-1,
            pad_piece=features.PAD_TOKEN,
            unk_piece=features.UNK_TOKEN,
            control_symbols=list(CONTROL_SYMBOLS),
            input_sentence_size=0,
            shuffle_input_sentence=False,
            max_sentence_length=4 * _MAX_SENTENCE_CHARS + 16,
            num_threads=num_threads,
            minloglevel=0 if verbose else 2,
        )
    except RuntimeError as e:
        raise ValueError(
            f"SentencePiece could not train a {vocab_size}-piece vocabulary on "
            f"{len(lines)} lines: {e}"
        ) from e
    proto = writer.getvalue()
    check_special_ids(proto)
    return proto


def check_special_ids(proto: bytes) -> None:
    """Raises ValueError unless the model proto has the ALBERT special ids."""
    sp = spm.SentencePieceProcessor(model_proto=proto)
    got = tuple(sp.id_to_piece(i) for i in range(len(features.SPECIAL_TOKENS)))
    if got != features.SPECIAL_TOKENS or sp.bos_id() != -1 or sp.eos_id() != -1:
        raise ValueError(
            f"SentencePiece model has special pieces {got} (bos={sp.bos_id()}, "
            f"eos={sp.eos_id()}); expected {features.SPECIAL_TOKENS} and no bos/eos"
        )


# Protocol-buffer wire format of the SentencePiece `ModelProto` (sentencepiece_model.proto):
# field 3 of ModelProto is `normalizer_spec`, field 3 of NormalizerSpec is `add_dummy_prefix` (bool).
# Edited by hand because the `sentencepiece_model_pb2` that sentencepiece ships needs a newer protobuf.
_NORMALIZER_SPEC_FIELD = 3
_ADD_DUMMY_PREFIX_FIELD = 3


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data):
            raise ValueError("SentencePiece model proto is truncated (a varint runs past the end)")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7


def proto_fields(data: bytes) -> list[tuple[int, int, int, int, int]]:
    """The top-level fields of a serialized message: (number, wire_type, start, value_start, end)."""
    fields = []
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        value_start = pos
        if wire_type == 0:
            _, pos = read_varint(data, pos)
        elif wire_type == 1:
            pos += 8
        elif wire_type == 2:
            length, value_start = read_varint(data, pos)
            pos = value_start + length
        elif wire_type == 5:
            pos += 4
        else:
            raise ValueError(f"SentencePiece model proto has an unsupported wire type {wire_type} (field {number})")
        if pos > len(data):
            raise ValueError(f"SentencePiece model proto is truncated (field {number} runs past the end)")
        fields.append((number, wire_type, start, value_start, pos))
    return fields


def without_dummy_prefix(proto: bytes) -> bytes:
    """Returns the model proto with `normalizer_spec.add_dummy_prefix = false`.

    That model tokenizes a text as the continuation of a word: no ``▁`` is
    added in front, so ``"."`` gives ``"."``, not ``"▁."`` or ``"▁" "."``.
    Everything else (pieces, scores, normalization rules) is unchanged.

    Args:
        proto: a serialized SentencePiece `ModelProto` (bytes).

    Returns:
        The edited serialized proto (bytes).
    """
    out = bytearray()
    found = False
    for number, wire_type, start, value_start, end in proto_fields(proto):
        if number == _NORMALIZER_SPEC_FIELD and wire_type == 2 and not found:
            found = True
            spec = proto[value_start:end]
            kept = b"".join(
                spec[s:e] for n, _, s, _, e in proto_fields(spec) if n != _ADD_DUMMY_PREFIX_FIELD
            )
            spec = kept + _varint(_ADD_DUMMY_PREFIX_FIELD << 3) + _varint(0)
            out += _varint(_NORMALIZER_SPEC_FIELD << 3 | 2) + _varint(len(spec)) + spec
        else:
            out += proto[start:end]
    if not found:
        raise ValueError("SentencePiece model proto has no normalizer_spec (field 3); it is not a model file")
    return bytes(out)


def write_vocab_dir(output_dir: str | os.PathLike, proto: bytes, options: dict[str, Any]) -> None:
    """Writes `spiece.model`, `spiece.vocab` and `tokenizer.json` to `output_dir`."""
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, MODEL_FILE), "wb") as f:
        f.write(proto)
    sp = spm.SentencePieceProcessor(model_proto=proto)
    with open(os.path.join(output_dir, VOCAB_FILE), "w", encoding="utf-8") as f:
        for i in range(sp.get_piece_size()):
            f.write(f"{sp.id_to_piece(i)}\t{sp.get_score(i)}\n")
    config = dict(options, vocab_size=sp.get_piece_size(), model_type="unigram",
                  special_tokens=dict(zip(features.SPECIAL_TOKENS, range(5), strict=False)))
    with open(os.path.join(output_dir, CONFIG_FILE), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def read_vocab_options(vocab_dir_or_model: str | os.PathLike) -> dict[str, Any]:
    """Returns the options in `tokenizer.json` next to the model.

    Args:
        vocab_dir_or_model: a vocabulary directory or its `spiece.model`.

    Returns:
        A dict with at least `lowercase` and `strip_accents` (both True when
        there is no `tokenizer.json`, the original ALBERT defaults).
    """
    path = os.fspath(vocab_dir_or_model)
    directory = path if os.path.isdir(path) else os.path.dirname(path)
    options = {"lowercase": True, "strip_accents": True}
    config_path = os.path.join(directory, CONFIG_FILE)
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            try:
                options.update(json.load(f))
            except json.JSONDecodeError as e:
                raise ValueError(f"{config_path}: invalid JSON ({e.msg})") from e
    return options


def tokenizer_options(vocab_dir_or_model: str | os.PathLike) -> dict[str, bool]:
    """The `lowercase` and `strip_accents` options of a vocabulary, as bools (what a model dir stores)."""
    options = read_vocab_options(vocab_dir_or_model)
    return {"lowercase": bool(options["lowercase"]), "strip_accents": bool(options["strip_accents"])}


def has_model(directory: str | os.PathLike) -> bool:
    """True when `directory` (a vocab dir or model dir) holds `spiece.model`."""
    return os.path.isfile(os.path.join(os.fspath(directory), MODEL_FILE))


def model_path(vocab_dir_or_model: str | os.PathLike) -> str:
    """Returns the `spiece.model` path for a vocabulary dir or model file."""
    path = os.fspath(vocab_dir_or_model)
    if os.path.isdir(path):
        path = os.path.join(path, MODEL_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"SentencePiece model not found: {path!r} (give a spiece.model file or a vocabulary dir holding one)"
        )
    return path


def log(message: str) -> None:
    """Prints a progress line to stderr."""
    print(message, file=sys.stderr, flush=True)
