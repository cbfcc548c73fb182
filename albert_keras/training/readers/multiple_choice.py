"""Multiple-choice data from JSONL.

Each line: `{"question": str, "choices": [str, ...], "label": int}` and an
optional `"context"` (a passage put before the question). Every line must
have the same number of choices. Each (context + question, choice) pair is
packed as segments A and B.
"""

import numpy as np

from albert_keras import features
from albert_keras.training.packing import pack
from albert_keras.training.readers.table import DataError, read_rows


def encode_multiple_choice(path, encoder, sequence_length):
    """Reads and encodes a multiple-choice file.

    Returns:
        `(x, y)`: x a dict of int32 `[N, C, T]`, y int32 `[N]`.
    """
    rows = read_rows(path)
    if not rows:
        raise DataError(f"{path}: no rows")
    packed, labels, num_choices = [], [], None
    for number, row in rows:
        for key in ("question", "choices", "label"):
            if key not in row:
                raise DataError(f"{path}:{number}: missing field {key!r}")
        choices = row["choices"]
        if not isinstance(choices, list) or len(choices) < 2:
            raise DataError(f"{path}:{number}: 'choices' must be a list of at least 2 strings")
        if num_choices is None:
            num_choices = len(choices)
        elif len(choices) != num_choices:
            raise DataError(f"{path}:{number}: {len(choices)} choices; earlier lines have {num_choices}")
        label = row["label"]
        if not isinstance(label, int) or not 0 <= label < num_choices:
            raise DataError(f"{path}:{number}: 'label' must be an int in [0, {num_choices}). Received: {label!r}")
        first = (str(row.get("context", "")) + " " + str(row["question"])).strip()
        ids_a = encoder.encode(first)
        packed.append([pack(ids_a, encoder.encode(str(c)), sequence_length) for c in choices])
        labels.append(label)
    arrays = np.asarray(packed, np.int32)  # [N, C, 3, T]
    x = {
        features.TOKEN_IDS: arrays[:, :, 0],
        features.SEGMENT_IDS: arrays[:, :, 1],
        features.PADDING_MASK: arrays[:, :, 2],
    }
    return x, np.asarray(labels, np.int32)
