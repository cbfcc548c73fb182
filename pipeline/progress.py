"""One console line per pipeline component, with its wall time.

TFX's LocalDagRunner logs (through absl) "Component X is running." before a
component and "Component X is finished." after it, and its launcher "A cached
execution N is used." for a cache hit. `ComponentProgress` turns those records
into lines such as

      ExampleGen ................. 12.3 s
      SchemaGen ..................  0.4 s (cached)

written to `sys.stdout` as it is when each line is printed: the console, also
when `albert_keras.logs` sends the rest of the output to the log file.
"""

from __future__ import annotations

import logging
import sys
import time

RUNNING = "Component %s is running."
FINISHED = "Component %s is finished."
CACHED = "A cached execution %d is used."
WIDTH = 28  # component name plus dots


def format_line(component: str, seconds: float, note: str = "") -> str:
    """Returns `  NAME ..... 12.3 s` (plus ` (note)`), names padded to `WIDTH`."""
    dots = "." * max(3, WIDTH - len(component) - 1)
    return f"  {component} {dots} {seconds:6.1f} s" + (f" ({note})" if note else "")


class ComponentProgress(logging.Handler):
    """A `logging` handler (on the `absl` logger) that prints a line per finished component.

    Attributes:
        current: the component running now, or `None`.
        lines: the lines printed so far.
    """

    def __init__(self):
        super().__init__(level=logging.INFO)
        self.current: str | None = None
        self.lines: list[str] = []
        self._started = 0.0
        self._cached = False

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == RUNNING and record.args:
            self.current, self._started, self._cached = str(record.args[0]), time.monotonic(), False
        elif record.msg == CACHED:
            self._cached = True
        elif record.msg == FINISHED and record.args:
            self._print(format_line(str(record.args[0]), time.monotonic() - self._started,
                                    "cached" if self._cached else ""))
            self.current = None

    def failed(self) -> None:
        """Prints the failure line of the running component (call it when the run raises)."""
        if self.current is not None:
            self._print(format_line(self.current, time.monotonic() - self._started, "failed"))
            self.current = None

    def _print(self, line: str) -> None:
        self.lines.append(line)
        print(line, file=sys.stdout, flush=True)
