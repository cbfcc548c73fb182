"""`AlbertTokenizer`: the in-graph SentencePiece tokenizer (Keras 3 layer).

It runs in `tf.data`, in the TFX Transform graph and inside the served
SavedModel, and follows the same rules as `SentencePieceEncoder` (Python),
those of google-research/albert `tokenization.py` (`preprocess_text`,
`encode_pieces` with its digit-comma rule, `PieceToId`); the rules are in the
`sentencepiece_encoder` module docstring. The two give the same ids except
on exact score ties between two segmentations (e.g. ``000`` = ``0 00`` or
``00 0``), which the SentencePiece kernels break differently: 460 of the
258,006 texts of the shared data with an 8,000-piece vocabulary
(`bench/spm_parity.py`, docs/performance.md).

Steps, all TF ops registered by TF core or TF Text 2.12.1:

1. split the input on the literal special tokens ``[CLS]``, ``[SEP]``,
   ``[MASK]``, keeping them (`RegexSplitWithOffsets`);
2. normalize each other segment like ALBERT's `preprocess_text`
   (`StaticRegexReplace`, `NormalizeUTF8`, `StringLower`);
3. cut each segment into pieces with SentencePiece (`SentencepieceOp`,
   `SentencepieceTokenizeOp`): a segment right after a special token, with no
   whitespace between, with a second model that adds no dummy ``▁`` prefix
   (so ``a free [MASK].`` gives ``▁a ▁free [MASK] .``), any other with the
   model itself;
4. split the digit-comma pieces (``▁2014,`` → the pieces of ``2014``, then
   ``,``) as `encode_pieces` does (`StaticRegexFullMatch`, a second
   `SentencepieceTokenizeOp` on those pieces; the pieces are kept as flat
   tensors and put back in order by a stable `argsort` on their position);
5. map every piece, special tokens included, to its id
   (`SentencepieceStringToIdOp`).

So ``"猫是[MASK]。"`` gives ``ids("猫是") + [4] + ids_without_prefix("。")``.

The fast path (``implementation="fast"``, or ``"auto"`` when the model allows
it): steps 3–5 run on `TFText>FastSentencepieceTokenize`, which gives ids,
not pieces (`fast_sentencepiece`, which also explains why it is called in
chunks). The digit-comma rule is then a lookup: every vocabulary id maps to
the ids `SentencePieceEncoder` puts in its place (itself, or its split), a
ragged constant `[V, (k)]` made once from the proto; special tokens get their
ids directly. The ids are the standard path's except on score ties and one
normalizer corner case (`fast_sentencepiece` module docstring), so the
default is ``"standard"``. ``"auto"`` keeps the standard ops, and logs why,
when `fast_sentencepiece.unsupported_reason` names a model feature the fast
op lacks (BPE/WORD/CHAR models, byte-fallback, user-defined or unused pieces)
or when the model has no ``,`` piece (then a digit-comma can hide in an
``<unk>`` piece, whose text the fast op does not return).

Saving: the SentencePiece model proto is part of the TF graph (an attribute
of the `SentencepieceOp` resource; the no-prefix model is a second one, made
from the first), so `tf.saved_model.save` of anything that tracks this layer
carries it (twice the proto bytes in the graph). In a `.keras` file the proto is written as the asset file
``spiece.model`` (`save_assets`/`load_assets`), and the config holds
``proto=None``; the `proto` property gives the bytes, e.g. for the exporter
to write ``assets/spiece.model``.
"""

import hashlib
import logging
import os
from typing import Any

import keras
import numpy as np
import tensorflow as tf
import tensorflow_text as tf_text

from albert_keras import features
from albert_keras.tokenizer import fast_sentencepiece, vocab
from albert_keras.tokenizer import pieces as piece_rules
from albert_keras.tokenizer import sentencepiece_encoder as spe
from albert_keras.tokenizer import special_ids as special_ids_lib
from albert_keras.tokenizer.layer import TokenizerLayer
from albert_keras.tokenizer.normalize import normalize, starts_with_space_in_graph

ASSET_FILE = "spiece.model"
IMPLEMENTATIONS = ("auto", "fast", "standard")
_LOG = logging.getLogger(__name__)


@keras.saving.register_keras_serializable(package="albert_keras")
class AlbertTokenizer(TokenizerLayer):
    """Tokenizes strings to ALBERT SentencePiece ids.

    Args:
        proto: the SentencePiece model: proto bytes, a `spiece.model` path or
            a vocabulary directory. `None` only when restoring from a `.keras`
            file (the proto is then loaded by `load_assets`).
        lowercase: lowercase before tokenizing. `None` reads the vocabulary
            directory's `tokenizer.json` (default True).
        strip_accents: NFKD-normalize and drop accents. `None` reads
            `tokenizer.json` (default True).
        sequence_length: if set, `call` returns dense ids `[batch, T]` padded
            with 0 (`<pad>`) and truncated to T; else a ragged `[batch, (n)]`.
        implementation: ``"standard"`` (default): the standard SentencePiece
            ops. ``"auto"``: `TFText>FastSentencepieceTokenize`
            when the model allows it, else the standard SentencePiece ops
            (the reason is logged and kept in `fallback_reason`); ``"fast"``:
            the fast op, a ValueError if the model does not allow it;
            The fast op breaks exact score ties (``000`` = ``0 00`` or
            ``00 0``) differently from the standard op, so its ids differ on
            a few texts (`bench/spm_parity.py`); hence not the default.
        **kwargs: base `keras.layers.Layer` arguments (name, ...).

    Call args:
        inputs: tf.string tensor `[batch]` or scalar `[]`.

    Returns:
        int32 ids: `[batch, (n)]` ragged (or `[(n)]` for a scalar), or dense
        `[batch, sequence_length]` when `sequence_length` is set.
    """

    def __init__(
        self,
        proto: spe.Proto | None = None,
        lowercase: bool | None = None,
        strip_accents: bool | None = None,
        sequence_length: int | None = None,
        implementation: str = "standard",
        **kwargs: Any,
    ) -> None:
        if implementation not in IMPLEMENTATIONS:
            raise ValueError(f"`implementation` must be one of {list(IMPLEMENTATIONS)}. Received: {implementation!r}")
        lowercase, strip_accents = spe.resolve_options(proto, lowercase, strip_accents)
        super().__init__(lowercase, strip_accents, sequence_length, **kwargs)
        self.implementation = implementation
        self.fallback_reason = None
        self._fast = None
        self._fast_main = self._fast_continuation = None
        self._proto = None
        self._encoder = None
        self._sentencepiece = None
        self._continuation = None
        if proto is not None:
            self.set_proto(proto)
        self.built = True

    def set_proto(self, proto: spe.Proto) -> None:
        """Loads the SentencePiece model (bytes, `spiece.model` path or vocab dir)."""
        self._proto = spe.load_proto(proto)
        self._encoder = spe.SentencePieceEncoder(self._proto, self.lowercase, self.strip_accents)
        # The resource's node name must differ between different models: a loaded SavedModel shares
        # `SentencepieceOp` resources with the same node name, so the two models of one layer (or the
        # layers of two vocabularies) would get one model. Named by content, equal models may share.
        digest = hashlib.sha256(self._proto).hexdigest()[:16]
        self._sentencepiece = tf_text.SentencepieceTokenizer(
            model=self._proto, out_type=tf.string, add_bos=False, add_eos=False, name=f"sentencepiece_{digest}"
        )
        self._continuation = tf_text.SentencepieceTokenizer(
            model=vocab.without_dummy_prefix(self._proto),
            out_type=tf.string,
            add_bos=False,
            add_eos=False,
            name=f"sentencepiece_continuation_{digest}",
        )
        self._fast = None
        self.fallback_reason = None if self.implementation == "fast" else "implementation='standard'"
        if self.implementation != "standard":
            self.fallback_reason = self._fast_unsupported_reason()
            if self.fallback_reason is None:
                self._set_fast(digest)
            elif self.implementation == "fast":
                raise ValueError(
                    "`implementation='fast'` needs a model FastSentencepieceTokenizer tokenizes like "
                    f"SentencePiece. Received a model where {self.fallback_reason}"
                )
            else:
                _LOG.info("AlbertTokenizer uses the standard SentencePiece ops: %s", self.fallback_reason)

    def _fast_unsupported_reason(self) -> str | None:
        reason = fast_sentencepiece.unsupported_reason(self._proto)
        if reason is None and self._encoder.sp.piece_to_id(",") == self._encoder.sp.unk_id():
            reason = "the model has no ',' piece, so a digit-comma can be inside an <unk> piece"
        return reason

    def _set_fast(self, digest: str) -> None:
        sp = self._encoder.sp
        expansion = [
            [sp.piece_to_id(p) for p in self._encoder.split_digit_comma(sp.id_to_piece(i))]
            if not (sp.is_control(i) or sp.is_unknown(i))
            else [i]
            for i in range(sp.get_piece_size())
        ]
        # Attributes (not dict entries), so that a SavedModel tracks their standard-op resources.
        self._fast_main = fast_sentencepiece.FastSentencepiece(self._proto, f"sentencepiece_long_{digest}")
        self._fast_continuation = fast_sentencepiece.FastSentencepiece(
            vocab.without_dummy_prefix(self._proto), f"sentencepiece_long_continuation_{digest}"
        )
        self._fast = {
            "expansion_values": np.array([j for e in expansion for j in e], dtype=np.int32),
            "expansion_splits": np.cumsum([0] + [len(e) for e in expansion]).astype(np.int64),
        }

    @property
    def uses_fast_op(self) -> bool:
        """True when `tokenize` runs `TFText>FastSentencepieceTokenize`."""
        return self._fast is not None

    @property
    def proto(self) -> bytes:
        """The serialized SentencePiece model (bytes)."""
        self._check_loaded()
        return self._proto

    def _check_loaded(self):
        if self._proto is None:
            raise ValueError(
                "AlbertTokenizer has no SentencePiece model: pass proto=... or load it from a .keras file"
            )

    @property
    def special_ids(self) -> special_ids_lib.SpecialIds:
        """The `SpecialIds` of the vocabulary (checked against the proto when it is loaded)."""
        self._check_loaded()
        return self._encoder.special_ids

    def is_word_start(self, piece: str) -> bool:
        """True when the piece string `piece` starts a word; see `pieces.is_start_piece`."""
        return piece_rules.is_start_piece(piece)

    def vocabulary_size(self) -> int:
        """Returns the number of pieces (a Python int)."""
        self._check_loaded()
        return self._encoder.vocabulary_size()

    def token_to_id(self, token: str) -> int:
        """Returns the id of the piece `token` (Python), `<unk>`'s id if absent."""
        self._check_loaded()
        return self._encoder.sp.piece_to_id(token)

    def id_to_piece(self, i: int) -> str:
        """Returns the piece string of id `i` (Python)."""
        self._check_loaded()
        return self._encoder.id_to_piece(i)

    def id_to_token(self, ids: Any) -> tf.Tensor:
        """Maps ids to piece strings in the graph.

        Args:
            ids: int tensor of any shape, e.g. `[batch, k]`.

        Returns:
            tf.string tensor of the same shape.
        """
        self._check_loaded()
        return self._sentencepiece.id_to_string(tf.cast(ids, tf.int32))

    def tokenize(self, inputs: Any) -> tf.Tensor | tf.RaggedTensor:
        """Tokenizes strings; see the class docstring for shapes."""
        self._check_loaded()
        text = tf.convert_to_tensor(inputs, dtype=tf.string)
        if text.shape.rank not in (0, 1, None):
            raise ValueError(f"AlbertTokenizer expects strings of shape [batch] or [], got shape {text.shape}")
        scalar = text.shape.rank == 0
        if scalar:
            text = text[tf.newaxis]
        parts = tf_text.regex_split(text, spe.SPECIAL_PATTERN, spe.SPECIAL_PATTERN)  # [B, (P)]
        segments = parts.flat_values  # [N]: the special tokens and the text between them
        segment_row = parts.value_rowids()  # [N]: the input of each segment
        is_special = tf.strings.regex_full_match(segments, spe.SPECIAL_PATTERN)
        same_row = segment_row == tf.concat([[-1], segment_row], axis=0)[:-1]
        after_special = same_row & tf.concat([[False], is_special], axis=0)[:-1]
        continues = after_special & ~is_special & ~starts_with_space_in_graph(segments)
        plain = tf.where(is_special, "", normalize(segments, self.lowercase, self.strip_accents))
        if self._fast is not None:
            ids = self._fast_ids(segments, segment_row, is_special, continues, plain, parts.nrows())
        else:
            ids = self._standard_ids(segments, segment_row, is_special, continues, plain, parts.nrows())
        if self.sequence_length is not None:
            ids = ids.to_tensor(default_value=features.PAD_ID, shape=[None, self.sequence_length])
        if scalar:
            ids = ids[0]
        return ids

    def _fast_ids(self, segments, segment_row, is_special, continues, plain, nrows) -> tf.RaggedTensor:
        """Steps 3-5 on the fast op: the ids `[B, (T)]` of the segments `[N]` of `nrows` inputs."""
        text_ids = self._fast_main.tokenize(tf.where(continues, "", plain))  # [N, (L)]
        glued_ids = self._fast_continuation.tokenize(tf.where(continues, plain, ""))  # [N, (L)]
        special_at = tf.where(is_special)[:, 0]
        special = tf.gather(segments, special_at)
        special_ids = tf.where(
            special == features.CLS_TOKEN,
            features.CLS_ID,
            tf.where(special == features.SEP_TOKEN, features.SEP_ID, features.MASK_ID),
        )
        ids, id_segment = _merge_by_segment(
            [tf.cast(special_ids, tf.int32), text_ids.flat_values, glued_ids.flat_values],
            [special_at, text_ids.value_rowids(), glued_ids.value_rowids()],
        )  # [M]
        expansion = tf.RaggedTensor.from_row_splits(
            tf.constant(self._fast["expansion_values"]), tf.constant(self._fast["expansion_splits"]), validate=False
        )  # [V, (k)]: the digit-comma rule per id
        expanded = tf.gather(expansion, ids)  # [M, (k)]
        row = tf.gather(segment_row, tf.gather(id_segment, expanded.value_rowids()))
        return tf.RaggedTensor.from_value_rowids(expanded.flat_values, row, nrows=nrows)

    def _standard_ids(self, segments, segment_row, is_special, continues, plain, nrows) -> tf.RaggedTensor:
        """Steps 3-5 on the standard ops: the ids `[B, (T)]` of the segments `[N]` of `nrows` inputs."""
        text_pieces = self._sentencepiece.tokenize(tf.where(continues, "", plain))  # [N, (L)]
        glued_pieces = self._continuation.tokenize(tf.where(continues, plain, ""))  # [N, (L)]
        special_at = tf.where(is_special)[:, 0]
        pieces, piece_segment = _merge_by_segment(
            [tf.gather(segments, special_at), text_pieces.flat_values, glued_pieces.flat_values],
            [special_at, text_pieces.value_rowids(), glued_pieces.value_rowids()],
        )  # [M]: each segment has one of the three kinds
        pieces, source = self._split_digit_comma(pieces)  # [M'], the index in [M] each comes from
        row = tf.gather(tf.gather(segment_row, piece_segment), source)
        return tf.RaggedTensor.from_value_rowids(self._sentencepiece.string_to_id(pieces), row, nrows=nrows)

    def _split_digit_comma(self, pieces: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The digit-comma rule of `encode_pieces` on pieces `[M]`.

        Returns:
            The new pieces `[M']` and, for each, the int64 index in `[M]` of
            the piece it comes from (sorted).
        """
        underline = piece_rules.SPIECE_UNDERLINE
        hit = tf.strings.regex_full_match(pieces, piece_rules.digit_comma_pattern())  # [M]
        hit_at = tf.where(hit)[:, 0]  # [K]
        targets = tf.gather(pieces, hit_at)
        core = tf.strings.regex_replace(tf.strings.regex_replace(targets, ",$", ""), underline, "")
        new = self._sentencepiece.tokenize(core)  # [K, (J)]
        values, new_row = new.flat_values, new.value_rowids()
        first = tf.range(tf.size(values, out_type=tf.int64)) == tf.gather(new.row_splits, new_row)
        no_marker = ~tf.strings.regex_full_match(targets, "(?s)" + underline + ".*")  # [K]
        strip = first & tf.gather(no_marker, new_row)
        values = tf.where(strip, tf.strings.regex_replace(values, "^" + underline, ""), values)
        keep = tf.where(values != "")[:, 0]  # a first piece that was only "▁" is dropped
        kept_at = tf.where(~hit)[:, 0]
        return _merge_by_segment(
            [tf.gather(pieces, kept_at), tf.gather(values, keep), tf.fill(tf.shape(hit_at), ",")],
            [kept_at, tf.gather(hit_at, tf.gather(new_row, keep)), hit_at],
        )

    def detokenize(self, ids: Any) -> tf.Tensor:
        """Maps ids back to text.

        Args:
            ids: int ids `[batch, (n)]` (ragged or dense, padding 0 is
                dropped) or `[n]`.

        Returns:
            tf.string `[batch]` (or a scalar for `[n]` input). Special tokens
            are dropped.
        """
        self._check_loaded()
        if isinstance(ids, tf.RaggedTensor):
            return self._sentencepiece.detokenize(tf.cast(ids, tf.int32))
        return self._sentencepiece.detokenize(tf.cast(tf.convert_to_tensor(ids), tf.int32))

    def save_assets(self, dir_path: str) -> None:
        with open(os.path.join(dir_path, ASSET_FILE), "wb") as f:
            f.write(self.proto)

    def load_assets(self, dir_path: str) -> None:
        self.set_proto(os.path.join(dir_path, ASSET_FILE))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["proto"] = None  # restored from the asset file by `load_assets`
        config["implementation"] = self.implementation
        return config


def _merge_by_segment(values: list[tf.Tensor], segments: list[tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
    """Concatenates `values` (1-D tensors) and orders them by their int `segments`, stably.

    Elements of one segment keep their order, and those of an earlier list
    come first. Returns the ordered values and their int64 segments.
    """
    segment = tf.concat([tf.cast(s, tf.int64) for s in segments], axis=0)
    order = tf.argsort(segment, stable=True)
    return tf.gather(tf.concat(values, axis=0), order), tf.gather(segment, order)
