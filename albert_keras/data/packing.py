"""Packs token-id lists into fixed-length model inputs (Python, for fine-tuning data).

The same layout as the in-graph `albert_keras.preprocessing.packer.pack`:
``[CLS] A [SEP] (B [SEP])``, segment 0 for CLS/A/first SEP and 1 for B and
its SEP, 0-padded; the longer segment is truncated first, from its end. It
works on Python lists because fine-tuning readers need to know where each
piece lands (token labels, answer spans).
"""

from collections.abc import Sequence

from albert_keras.tokenizer.special_ids import SENTENCEPIECE, SpecialIds


def truncate_pair(ids_a: Sequence[int], ids_b: Sequence[int] | None, budget: int) -> tuple[list[int], list[int]]:
    """Truncates the longer list (B on a tie) from its end until both fit in `budget`."""
    ids_a, ids_b = list(ids_a), list(ids_b or [])
    while len(ids_a) + len(ids_b) > budget:
        if len(ids_a) > len(ids_b):
            ids_a.pop()
        else:
            ids_b.pop()
    return ids_a, ids_b


def pack(
    ids_a: Sequence[int],
    ids_b: Sequence[int] | None = None,
    sequence_length: int = 128,
    special_ids: SpecialIds = SENTENCEPIECE,
) -> tuple[list[int], list[int], list[int]]:
    """Packs one or two segments.

    Args:
        ids_a: list of ids of segment A.
        ids_b: optional list of ids of segment B.
        sequence_length: T.
        special_ids: the [CLS], [SEP] and padding ids (the tokenizer's
            `special_ids`).

    Returns:
        `(token_ids, segment_ids, padding_mask)`, three lists of length T.
    """
    if ids_b is None:
        a = list(ids_a)[: sequence_length - 2]
        tokens = [special_ids.cls] + a + [special_ids.sep]
        segments = [0] * len(tokens)
    else:
        a, b = truncate_pair(ids_a, ids_b, sequence_length - 3)
        tokens = [special_ids.cls] + a + [special_ids.sep] + b + [special_ids.sep]
        segments = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    pad = sequence_length - len(tokens)
    return tokens + [special_ids.pad] * pad, segments + [0] * pad, [1] * len(tokens) + [0] * pad
