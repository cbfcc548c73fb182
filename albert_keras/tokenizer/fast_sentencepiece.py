"""TF Text's `FastSentencepieceTokenizer` op, made safe and checked for ALBERT models.

`TFText>FastSentencepieceTokenize` (TF Text ≥ 2.12.1, so in stock TF
Serving 2.12–2.19) runs a unigram Viterbi on a flatbuffer made from the model
proto, and is several times faster than `SentencepieceTokenizeOp`. Two facts
shape how `AlbertTokenizer` uses it:

1. **It only implements part of SentencePiece.** Its model converter ignores
   `trainer_spec.model_type` (every model is decoded as unigram), rejects
   ``BYTE`` and ``UNUSED`` pieces (an assert in the converter), and treats
   ``USER_DEFINED`` pieces as normal ones (SentencePiece always cuts them
   out first). `unsupported_reason` says when a model has any of these; the
   layer then keeps the standard op.
2. **Its kernel casts the output sizes to `int16`** (TF Text 2.16.1 and the
   versions before it: `allocate_output(0, {(int16_t)encoded.size()})`): one
   call that yields more than 32,767 ids, or holds more than 32,766 strings,
   writes past its output buffer (a crash or corrupted ids). `tokenize` below
   therefore calls the op on chunks whose ids are bounded by 16,383 each:
   a string of ``n`` code points gives at most ``R·n + 1`` ids, where ``R``
   is the longest replacement (in code points) of the model's normalization
   rules (`max_expansion`): every rule consumes at least one code point and
   every id covers at least one code point of the normalized text. Strings
   over the bound go to the standard op, whole.

The ids are the standard op's except (a) on exact score ties between two
segmentations (``000`` = ``0 00`` or ``00 0``), which each implementation breaks
its own way, and (b) when a segment glued to a special token starts with
characters the normalizer deletes, then whitespace (the fast op keeps that
space as ``▁``): 519 of 258,006 texts of ``../shared/data`` with an 8000-piece
vocabulary (`bench/spm_parity.py`; docs/performance.md). The bundled slice of
`tests/test_fast_sentencepiece.py` has neither.
"""

import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text
from tensorflow_text.core.pybinds import pywrap_model_converter
from tensorflow_text.python.ops import fast_sentencepiece_tokenizer as fast_ops

from albert_keras.tokenizer import vocab

# Ids per call: half of int16's 32,767, so a chunk of strings each under the bound stays under 32,767.
CHUNK_IDS = 16383

# SentencePiece `ModelProto` wire fields (sentencepiece_model.proto).
_PIECES = 1  # repeated SentencePiece
_PIECE_TYPE = 3  # SentencePiece.type, default NORMAL
_TRAINER_SPEC = 2
_MODEL_TYPE = 3  # TrainerSpec.model_type, default UNIGRAM
_NORMALIZER_SPEC = 3
_PRECOMPILED_CHARSMAP = 2
_UNIGRAM = 1
_TYPE_NAMES = {1: "NORMAL", 2: "UNKNOWN", 3: "CONTROL", 4: "USER_DEFINED", 5: "UNUSED", 6: "BYTE"}
_MODEL_TYPE_NAMES = {1: "UNIGRAM", 2: "BPE", 3: "WORD", 4: "CHAR"}


def _field(message: bytes, number: int) -> list[bytes | int]:
    """The values of field `number` of a serialized message (varints as ints, bytes as bytes)."""
    out = []
    for n, wire_type, _, value_start, end in vocab.proto_fields(message):
        if n != number:
            continue
        if wire_type == 0:
            out.append(vocab.read_varint(message, value_start)[0])
        elif wire_type == 2:
            out.append(message[value_start:end])
    return out


def unsupported_reason(proto: bytes) -> str | None:
    """Why the fast op would not give SentencePiece's ids for `proto`, or None.

    Args:
        proto: a serialized SentencePiece `ModelProto` (bytes).

    Returns:
        A sentence naming the model feature the fast op lacks, or None.
    """
    trainer = _field(proto, _TRAINER_SPEC)
    model_type = _field(trainer[0], _MODEL_TYPE) if trainer else []
    model_type = model_type[-1] if model_type else _UNIGRAM
    if model_type != _UNIGRAM:
        return (
            f"the model type is {_MODEL_TYPE_NAMES.get(model_type, model_type)}; "
            "FastSentencepieceTokenizer decodes every model as UNIGRAM"
        )
    for i, piece in enumerate(_field(proto, _PIECES)):
        kind = _field(piece, _PIECE_TYPE)
        kind = kind[-1] if kind else 1
        if kind in (4, 5, 6):
            return (
                f"piece {i} is {_TYPE_NAMES[kind]}; FastSentencepieceTokenizer "
                + ("treats user-defined pieces as normal ones" if kind == 4 else "cannot convert such pieces")
            )
    return None


def max_expansion(proto: bytes) -> int:
    """The most code points one normalization rule of `proto` writes (at least 1).

    The precompiled charsmap is a uint32 trie size, the trie, then the
    replacement strings, each ending in NUL.
    """
    spec = _field(proto, _NORMALIZER_SPEC)
    charsmap = _field(spec[0], _PRECOMPILED_CHARSMAP) if spec else []
    if not charsmap or len(charsmap[0]) < 4:
        return 1
    blob = charsmap[0]
    trie_size = int.from_bytes(blob[:4], "little")
    strings = blob[4 + trie_size :].split(b"\0")
    return max([1] + [len(s.decode("utf-8", errors="replace")) for s in strings])


class FastSentencepiece(tf.Module):
    """Tokenizes strings to ids with the fast op, in chunks it can take.

    A `tf.Module`, so that a SavedModel tracks the standard-op resource it
    holds for over-long strings.

    Args:
        proto: a serialized SentencePiece `ModelProto` (bytes) that
            `unsupported_reason` accepts.
        name: the name of the standard-op resource for over-long strings.
    """

    def __init__(self, proto: bytes, name: str) -> None:
        super().__init__(name=name)
        reason = unsupported_reason(proto)
        if reason is not None:
            raise ValueError(f"`proto` must be a model the fast op supports. Received one where {reason}")
        self._model = np.frombuffer(pywrap_model_converter.convert_sentencepiece_model(proto), dtype=np.uint8)
        self.expansion = max_expansion(proto)
        self._standard = tf_text.SentencepieceTokenizer(model=proto, add_bos=False, add_eos=False, name=name)

    def tokenize(self, text: tf.Tensor) -> tf.RaggedTensor:
        """Tokenizes a tf.string `[N]` to int32 ids `[N, (L)]` (row splits int64)."""
        model = tf.constant(self._model)
        bound = tf.cast(tf.strings.length(text, unit="UTF8_CHAR"), tf.int64) * self.expansion + 1  # [N]
        fits = bound <= CHUNK_IDS
        fast_at = tf.where(fits)[:, 0]  # [F]
        long_at = tf.where(~fits)[:, 0]  # [G]
        fast_text = tf.gather(text, fast_at)
        chunk = tf.math.cumsum(tf.gather(bound, fast_at), exclusive=True) // CHUNK_IDS  # [F], sorted
        n_chunks = tf.cast(tf.reduce_max(tf.concat([chunk + 1, [0]], axis=0)), tf.int32)
        starts = tf.searchsorted(chunk, tf.range(n_chunks + 1, dtype=tf.int64), side="left", out_type=tf.int32)

        def body(i, values, lengths):
            part = fast_text[starts[i] : starts[i + 1]]
            ids, splits = _fast_op(model, part)
            return i + 1, values.write(i, ids), lengths.write(i, splits[1:] - splits[:-1])

        ta = dict(size=n_chunks, infer_shape=False, element_shape=tf.TensorShape([None]))
        _, values, lengths = tf.while_loop(
            lambda i, *_: i < n_chunks,
            body,
            [tf.constant(0), tf.TensorArray(tf.int32, **ta), tf.TensorArray(tf.int32, **ta)],
        )
        fast = tf.RaggedTensor.from_row_lengths(
            _concat(values, tf.int32), tf.cast(_concat(lengths, tf.int32), tf.int64), validate=False
        )
        slow = self._standard.tokenize(tf.gather(text, long_at))  # [G, (L)]
        rows = tf.concat([fast_at, long_at], axis=0)
        lengths = tf.concat([fast.row_lengths(), slow.row_lengths()], axis=0)
        value_rows = tf.repeat(rows, lengths)
        order = tf.argsort(value_rows, stable=True)
        values = tf.gather(tf.concat([fast.flat_values, slow.flat_values], axis=0), order)
        return tf.RaggedTensor.from_value_rowids(values, tf.gather(value_rows, order), nrows=tf.size(text, tf.int64))


def _fast_op(model: tf.Tensor, text: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """One `TFText>FastSentencepieceTokenize` call: int32 ids and row splits of `text` `[n]`."""
    return fast_ops.gen_fast_sentencepiece_tokenizer.tf_text_fast_sentencepiece_tokenize(
        model, text, 0, 0, False, False, False
    )


def _concat(array: tf.TensorArray, dtype: tf.DType) -> tf.Tensor:
    """Concatenates a TensorArray of 1-D tensors; an empty array gives `[0]`."""
    return tf.cond(array.size() > 0, array.concat, lambda: tf.zeros([0], dtype))
