"""The one train/eval split: by a hash of the text, never by position.

A text goes to ``"eval"`` when ``md5(text as UTF-8) % total_buckets <
eval_buckets``, else to ``"train"``. The rule depends on the text alone, so
the same text lands in the same split in every run, process and machine
(Python's `hash()` is salted per process and is not used), duplicates never
straddle the split, and adding records does not move the others. The TFX
pipeline's ingestion (`pipeline.components.text_reading.split_of`), the
benchmarks (`bench/zh_tasks.py`) and the demo all call `split_of`.

Example:

>>> bucket_of("还可以", 10), bucket_of("很满意", 10)
(0, 9)
>>> split_of("还可以", eval_buckets=1, total_buckets=10), split_of("很满意", 1, 10)
('eval', 'train')
"""

import hashlib
from collections.abc import Callable, Iterable
from typing import TypeVar

TRAIN = "train"
EVAL = "eval"
SPLITS = (TRAIN, EVAL)

T = TypeVar("T")


def bucket_of(text: str, total_buckets: int) -> int:
    """The bucket of `text`: `int(md5(text.encode("utf-8"))) % total_buckets`, in `[0, total_buckets)`."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % total_buckets


def split_of(text: str, eval_buckets: int, total_buckets: int) -> str:
    """`"train"` or `"eval"`, by the md5 of the text.

    Args:
        text: the record's text (str; hashed as UTF-8).
        eval_buckets: buckets that go to eval (e.g. 1 of 10 for ~10%).
        total_buckets: the number of buckets.

    Returns:
        `EVAL` when `bucket_of(text, total_buckets) < eval_buckets`, else `TRAIN`.

    Raises:
        ValueError: `total_buckets` < 1 or `eval_buckets` not in `[0, total_buckets]`.
    """
    if not isinstance(total_buckets, int) or total_buckets < 1:
        raise ValueError(f"`total_buckets` must be a positive integer. Received: total_buckets={total_buckets!r}")
    if not isinstance(eval_buckets, int) or not 0 <= eval_buckets <= total_buckets:
        raise ValueError(
            f"`eval_buckets` must be an integer in [0, total_buckets]. Received: eval_buckets={eval_buckets!r}, "
            f"total_buckets={total_buckets}"
        )
    return EVAL if bucket_of(text, total_buckets) < eval_buckets else TRAIN


def split_records(
    records: Iterable[T], text_of: Callable[[T], str], eval_buckets: int = 1, total_buckets: int = 10
) -> dict[str, list[T]]:
    """Splits records by `split_of(text_of(record), ...)`, keeping their order.

    Args:
        records: any records (rows, `(words, tags)` sentences, ...).
        text_of: the text a record is hashed by.
        eval_buckets, total_buckets: as in `split_of` (default: ~10% eval).

    Returns:
        `{"train": [...], "eval": [...]}`.
    """
    out = {TRAIN: [], EVAL: []}
    for record in records:
        out[split_of(text_of(record), eval_buckets, total_buckets)].append(record)
    return out
