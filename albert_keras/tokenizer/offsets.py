"""Token ids with character offsets into the raw input, for both tokenizers.

`tokenize_with_offsets(tokenizer, text)` gives the ids of
`tokenizer.tokenize(text)` plus, for every piece, the `[start, end)`
character (Unicode code point) offsets of the raw text it comes from, with
TF core ops only (so served signatures can decode answers back to the
client's string).

How: the raw text is split into words at whitespace (the whitespace of the
tokenizer's normalization), each word is tokenized on its own (the ids are
those of the whole text: both tokenizers treat whitespace as a hard piece
boundary) and, inside a word, the pieces' normalized lengths (the piece
without ``▁`` / ``##``) are laid over the per-character normalized lengths
of the raw word. Normalization is applied per character, so accents that
are stripped, lowercasing, NFKD expansions (``ﬁ`` → ``fi``) and dropped
control characters map back to the raw characters they come from.

An unknown piece (``<unk>`` / ``[UNK]``) counts as one character.
Limitation: when a word's pieces do not add up to its normalized length
(an unknown piece that stands for several characters, SentencePiece's own
NFKC changing a length such as ``…`` → ``...``, LaTeX quotes), every piece
of that word gets the offsets of the whole word. `split_cjk=True` (used for tagging, as
the CoNLL reader encodes every word on its own) also makes each CJK
character its own word.
"""

from typing import Any

import tensorflow as tf

from albert_keras.tokenizer import bert_text, normalize, pieces

_CJK_CLASS = "[\\x{4e00}-\\x{9fff}\\x{3400}-\\x{4dbf}\\x{20000}-\\x{2fa1f}\\x{f900}-\\x{faff}" \
    "\\x{3000}-\\x{30ff}\\x{ac00}-\\x{d7af}\\x{ff00}-\\x{ffef}]"


def _is_wordpiece(tokenizer: Any) -> bool:
    from albert_keras.tokenizer.wordpiece_tokenizer import WordPieceTokenizer

    return isinstance(tokenizer, WordPieceTokenizer)


def _whitespace_class(tokenizer: Any) -> str:
    return bert_text.TF_WHITESPACE if _is_wordpiece(tokenizer) else normalize.WHITESPACE_CLASS


def _normalize_chars(tokenizer: Any, chars: tf.Tensor) -> tf.Tensor:
    if _is_wordpiece(tokenizer):
        return bert_text.tf_normalize(chars, tokenizer.lowercase, tokenizer.strip_accents)
    return normalize.normalize(chars, tokenizer.lowercase, tokenizer.strip_accents)


def piece_text(tokenizer: Any, tokens: tf.Tensor) -> tf.Tensor:
    """The text of piece strings: without ``▁`` (SentencePiece) or a leading ``##`` (WordPiece)."""
    if _is_wordpiece(tokenizer):
        return tf.strings.regex_replace(tokens, "^##", "")
    return tf.strings.regex_replace(tokens, pieces.SPIECE_UNDERLINE, "")


def split_words(
    tokenizer: Any, text: tf.Tensor, split_cjk: bool = False
) -> tuple[tf.RaggedTensor, tf.RaggedTensor, tf.RaggedTensor]:
    """Splits raw strings into words at whitespace (and CJK characters).

    Args:
        tokenizer: an `AlbertTokenizer` or `WordPieceTokenizer` (its whitespace).
        text: tf.string `[B]`.
        split_cjk: make every CJK character a word of its own.

    Returns:
        `(words, starts, ends)`: tf.string `[B, (W)]` and int32 character
        offsets `[B, (W)]`.
    """
    words, starts, ends, _, _ = _words(tokenizer, tf.convert_to_tensor(text, tf.string), split_cjk)
    return words, starts, ends


def _words(tokenizer, text, split_cjk):
    chars = tf.strings.unicode_split(text, "UTF-8")  # [B, (C)]
    flat = chars.flat_values
    char_row = chars.value_rowids()
    position = tf.cast(tf.range(tf.size(flat, out_type=tf.int64)) - tf.gather(chars.row_starts(), char_row), tf.int32)
    space = tf.strings.regex_full_match(flat, "(?s)" + _whitespace_class(tokenizer))
    first = position == 0
    prev_space = tf.concat([[True], space[:-1]], axis=0) | first
    start = ~space & prev_space
    if split_cjk:
        cjk = tf.strings.regex_full_match(flat, _CJK_CLASS)
        prev_cjk = tf.concat([[False], cjk[:-1]], axis=0) & ~first
        start = ~space & (prev_space | cjk | prev_cjk)
    word_of_char = tf.cumsum(tf.cast(start, tf.int64)) - 1  # [N], meaningful where ~space
    keep = tf.where(~space)[:, 0]
    num_words = tf.reduce_sum(tf.cast(start, tf.int64))
    kept_word = tf.gather(word_of_char, keep)
    words = tf.strings.unsorted_segment_join(tf.gather(flat, keep), kept_word, num_words)  # [W]
    start_at = tf.where(start)[:, 0]
    word_row = tf.gather(char_row, start_at)
    word_start = tf.gather(position, start_at)
    word_len = tf.math.unsorted_segment_sum(tf.ones_like(kept_word, tf.int32), kept_word, num_words)
    normalized_len = tf.strings.length(_normalize_chars(tokenizer, tf.gather(flat, keep)), unit="UTF8_CHAR")
    char_lengths = tf.RaggedTensor.from_value_rowids(normalized_len, kept_word, nrows=num_words)  # [W, (c)]
    nrows = tf.shape(text, out_type=tf.int64)[0]

    def by_row(values):
        return tf.RaggedTensor.from_value_rowids(values, word_row, nrows=nrows)

    return by_row(words), by_row(word_start), by_row(word_start + word_len), char_lengths, word_len


def tokenize_with_offsets(tokenizer: Any, text: Any, split_cjk: bool = False) -> dict[str, tf.RaggedTensor]:
    """Token ids with the character offsets of each piece in the raw text.

    Args:
        tokenizer: an `AlbertTokenizer` or `WordPieceTokenizer`.
        text: tf.string `[B]`.
        split_cjk: tokenize every CJK character as a word of its own (as the
            CoNLL reader does); False gives exactly `tokenizer.tokenize(text)`.

    Returns:
        A dict of `[B, (n)]` ragged tensors: `ids` (int32), `starts` and
        `ends` (int32 character offsets of the piece: `text[start:end]` in
        Python), `word_starts` (bool, True on the first piece of each word)
        and `word_begin` / `word_end` (int32 offsets of the piece's word).
    """
    text = tf.convert_to_tensor(text, tf.string)
    words, word_start, word_end, char_lengths, word_len = _words(tokenizer, text, split_cjk)
    flat_words = words.flat_values  # [W]
    ids = tokenizer.tokenize(flat_words)  # [W, (k)]
    if not isinstance(ids, tf.RaggedTensor):
        raise ValueError("`tokenize_with_offsets` needs a tokenizer without `sequence_length` (ragged ids).")
    ids = tf.cast(ids, tf.int32).with_row_splits_dtype(tf.int64)
    flat_ids = ids.flat_values  # [P]
    piece_word = ids.value_rowids()
    piece_len = tf.strings.length(piece_text(tokenizer, tokenizer.id_to_token(flat_ids)), unit="UTF8_CHAR")
    unknown = tf.equal(flat_ids, tokenizer.special_ids.unk)
    piece_len = tf.where(unknown, 1, piece_len)  # an unknown piece is taken as one character
    num_words = tf.shape(flat_words, out_type=tf.int64)[0]
    # A piece's normalized [s, e) inside its word.
    exclusive = tf.cumsum(piece_len, exclusive=True)
    base = tf.gather(tf.concat([exclusive, [tf.reduce_sum(piece_len)]], axis=0), ids.row_starts())
    s = exclusive - tf.gather(base, piece_word)
    e = s + piece_len
    pieces_total = tf.math.unsorted_segment_sum(piece_len, piece_word, num_words)
    exact = tf.equal(pieces_total, tf.reduce_sum(char_lengths, axis=1))  # [W]
    # Raw characters of the word: inclusive cumulative normalized lengths [W, c].
    total = tf.reduce_sum(char_lengths, axis=1)
    cumulative = tf.cumsum(char_lengths.to_tensor(0), axis=1)
    widths = tf.shape(cumulative)[1]
    cumulative = tf.where(tf.range(widths)[tf.newaxis, :] < word_len[:, tf.newaxis], cumulative, total[:, tf.newaxis])
    dense_s = tf.RaggedTensor.from_row_splits(s, ids.row_splits).to_tensor(0)
    dense_e = tf.RaggedTensor.from_row_splits(e, ids.row_splits).to_tensor(0)
    raw_s = tf.searchsorted(cumulative, dense_s, side="right", out_type=tf.int32)
    raw_e = tf.searchsorted(cumulative, dense_e, side="left", out_type=tf.int32) + 1
    lengths = ids.row_lengths()
    raw_s = tf.RaggedTensor.from_tensor(raw_s, lengths=lengths).flat_values
    raw_e = tf.RaggedTensor.from_tensor(raw_e, lengths=lengths).flat_values
    this_len = tf.gather(word_len, piece_word)
    raw_s = tf.minimum(raw_s, this_len)
    raw_e = tf.where(piece_len > 0, tf.minimum(raw_e, this_len), raw_s)
    raw_e = tf.maximum(raw_e, raw_s)
    piece_exact = tf.gather(exact, piece_word)
    raw_s = tf.where(piece_exact, raw_s, 0)
    raw_e = tf.where(piece_exact, raw_e, this_len)
    offset = tf.gather(word_start.flat_values, piece_word)
    row = tf.gather(words.value_rowids(), piece_word)
    nrows = tf.shape(text, out_type=tf.int64)[0]
    first_piece = tf.range(tf.size(flat_ids, out_type=tf.int64)) == tf.gather(ids.row_starts(), piece_word)

    def by_row(values):
        return tf.RaggedTensor.from_value_rowids(values, row, nrows=nrows)

    return {
        "ids": by_row(flat_ids),
        "starts": by_row(offset + raw_s),
        "ends": by_row(offset + raw_e),
        "word_starts": by_row(first_piece),
        "word_begin": by_row(offset),
        "word_end": by_row(tf.gather(word_end.flat_values, piece_word)),
    }
