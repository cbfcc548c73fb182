"""`DataError`: the one error type of the data layer.

Every reader under `albert_keras.data` (corpus files, CSV/TSV/JSONL tables,
CoNLL, SQuAD, pretraining records) and the pipeline's text ingestion raise
it for a data file that is missing, not UTF-8 or malformed. The message says
what is wrong, quotes what was received, and ends with the place:

    `label` must be one of ['neg', 'pos']. Received: 'x' (data/train.csv, line 12)
"""


class DataError(ValueError):
    """A data file is missing, empty, not UTF-8 or malformed.

    Args:
        message: what is wrong, e.g. "`label` must be one of [...]. Received: 'x'".
        path: the file, or None.
        line: the 1-based line the record starts on, or None.
        field: the field (column, JSON key) at fault, or None.

    Attributes:
        message, path, line, field: the constructor arguments.
    """

    def __init__(
        self, message: str, path: str | None = None, line: int | None = None, field: str | None = None
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        super().__init__(message + self.location())

    def location(self) -> str:
        """`" (path, line N)"`, `" (path)"` or `""`."""
        if self.path is None:
            return "" if self.line is None else f" (line {self.line})"
        return f" ({self.path})" if self.line is None else f" ({self.path}, line {self.line})"

    def __reduce__(self):
        # Keeps the keyword arguments across pickling (Beam workers, multiprocessing).
        return type(self), (self.message, self.path, self.line, self.field)
