"""One console line per pipeline component, with its wall time.

TFX's LocalDagRunner logs (through absl) "Component X is running." before a
component and "Component X is finished." after it, and its launcher "A cached
execution N is used." for a cache hit. `ComponentProgress` turns those records
into lines such as

      ExampleGen ................. 12.3 s
      SchemaGen ..................  0.4 s (cached)

written to `sys.stdout` as it is when each line is printed: the console, also
when `albert_keras.logs` sends the rest of the output to the log file.

    with component_progress():
        tfx.orchestration.LocalDagRunner().run(pipeline)
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator

from absl import logging as absl_logging

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

    def __init__(self) -> None:
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


@contextlib.contextmanager
def component_progress() -> Iterator[ComponentProgress]:
    """Prints a line per component while the block runs, and a `(failed)` line if it raises.

    absl's own verbosity is set to INFO for the block (and restored after it),
    not only the `absl` logger's level: TF's SavedModel saving resets that level
    from absl's verbosity, WARNING by default, which would hide every component
    after the Trainer.

    Yields:
        the `ComponentProgress` handler.
    """
    previous = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.INFO)
    logger = logging.getLogger("absl")
    progress = ComponentProgress()
    logger.addHandler(progress)
    try:
        yield progress
    except BaseException:
        progress.failed()
        raise
    finally:
        logger.removeHandler(progress)
        absl_logging.set_verbosity(previous)
