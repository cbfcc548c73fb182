"""Multiple-choice data from JSONL.

Each line: `{"question": str, "choices": [str, ...], "label": int}` and an
optional `"context"` (a passage put before the question). Every line must
have the same number of choices. Each (context + question, choice) pair is
packed as segments A and B. The file is read by `albert_keras.data.tabular`.
"""

import os

import numpy as np

from albert_keras import features
from albert_keras.data import tabular
from albert_keras.data.errors import DataError
from albert_keras.data.packing import pack
from albert_keras.tokenizer.loading import Encoder


def encode_multiple_choice(
    path: str | os.PathLike, encoder: Encoder, sequence_length: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Reads and encodes a multiple-choice file.

    Args:
        path: the JSONL file.
        encoder: a `SentencePieceEncoder` or `WordPieceEncoder`.
        sequence_length: T.

    Returns:
        `(x, y)`: x a dict of int32 `[N, C, T]`, y int32 `[N]`.

    Raises:
        DataError: no rows, a missing field, fewer than 2 choices, a choice
            count unlike the earlier lines', or a label out of range.
    """
    rows = tabular.read_rows(path)
    if not rows:
        raise DataError("The file holds no rows", path)
    packed, labels, num_choices = [], [], None
    for row in rows:
        for key in ("question", "choices", "label"):
            if key not in row.values:
                raise row.error(f"`{key}` is missing. Received fields: {sorted(row.values)}", key)
        question, choices, label = row.values["question"], row.values["choices"], row.values["label"]
        if not isinstance(choices, list) or len(choices) < 2:
            raise row.error(f"`choices` must be a list of at least 2 strings. Received: {choices!r}", "choices")
        if num_choices is None:
            num_choices = len(choices)
        elif len(choices) != num_choices:
            raise row.error(
                f"`choices` must have {num_choices} entries, as the earlier lines. Received: {len(choices)}", "choices"
            )
        if not isinstance(label, int) or not 0 <= label < num_choices:
            raise row.error(f"`label` must be an int in [0, {num_choices}). Received: {label!r}", "label")
        first = (str(row.get("context", "")) + " " + str(question)).strip()
        ids_a = encoder.encode(first)
        packed.append([pack(ids_a, encoder.encode(str(c)), sequence_length, encoder.special_ids) for c in choices])
        labels.append(label)
    arrays = np.asarray(packed, np.int32)  # [N, C, 3, T]
    x = {
        features.TOKEN_IDS: arrays[:, :, 0],
        features.SEGMENT_IDS: arrays[:, :, 1],
        features.PADDING_MASK: arrays[:, :, 2],
    }
    return x, np.asarray(labels, np.int32)
