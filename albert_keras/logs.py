"""Quiet console output for the `albert` commands: library noise goes to a log file.

By default (`setup(path)`) a command prints only its own output: what it
`print`s to `sys.stdout` / `sys.stderr` (results, Keras progress bars, error
messages, tracebacks) and the INFO records of its own loggers (`albert_keras`,
`pipeline`, `serving`). Everything else goes to the log file:

- Python logging from TensorFlow, absl, TFX, Beam, google-api, ML Metadata, ...
  (records of ERROR and above are also shown);
- Python warnings (`warnings.warn`), through `logging.captureWarnings`;
- whatever reaches file descriptors 1 and 2 below Python: TensorFlow's C++ logs,
  and the output of child processes such as Beam's multi-processing workers.
  Both descriptors are pointed at the log file; `sys.stdout` / `sys.stderr` are
  re-opened on copies of the original descriptors, so Python-level output still
  reaches the console.

With `verbose=True` nothing is redirected: every record of INFO and above is
shown on the console as well as written to the log file.

    logs.setup("runs/logs/albert-pretrain.log")
    ...                                    # the run dir becomes known
    logs.move_to("runs/pretrain/albert.log")
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import traceback

OWN_LOGGERS = ("albert_keras", "pipeline", "serving")
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_state: dict = {}


class _ConsoleFilter(logging.Filter):
    """Passes the commands' own records of INFO and above, and anyone's errors."""

    def __init__(self, verbose: bool):
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose or record.levelno >= logging.ERROR:
            return True
        return record.name.split(".")[0] in OWN_LOGGERS


class _ConsoleFormatter(logging.Formatter):
    """INFO records as their bare message, the others as `LEVEL name: message`."""

    def __init__(self):
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if record.levelno == logging.INFO:
            return record.getMessage()
        return super().format(record)


def _console_stream(fd: int) -> io.TextIOWrapper:
    """A line-buffered text stream on a copy of `fd` (the console, before redirection)."""
    return io.TextIOWrapper(io.FileIO(os.dup(fd), "w"), encoding="utf-8", errors="backslashreplace",
                            line_buffering=True)


def setup(log_file: str | None, verbose: bool = False, pinned: bool = False) -> None:
    """Routes library logs, warnings and fd-level output to `log_file`.

    Call it once, first thing in a command-line entry point, before TensorFlow
    or TFX is imported (so that their import-time output is caught too).

    Args:
        log_file: the log file (its directory is created); `None` for no file,
            in which case nothing is redirected and records go to the console.
        verbose: show everything on the console too (no redirection).
        pinned: the user chose `log_file`; `move_to` then keeps it.
    """
    if _state:
        raise RuntimeError(f"`logs.setup` must be called once. Received a second call with log_file={log_file!r}")
    quiet = log_file is not None and not verbose
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    logging.captureWarnings(True)

    file_handler = None
    if log_file is not None:
        os.makedirs(os.path.dirname(os.path.abspath(log_file)), exist_ok=True)
        open(log_file, "w").close()  # a fresh file, then appends only: the descriptors 1 and 2 write to it too
        file_handler = logging.FileHandler(log_file, mode="a", encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(FILE_FORMAT))
        root.addHandler(file_handler)
    if quiet:
        sys.stdout.flush()
        sys.stderr.flush()
        _state["console"] = (_console_stream(1), _console_stream(2))
        sys.stdout, sys.stderr = _state["console"]
        _point_fds_at(log_file)
        _state["excepthook"] = sys.excepthook
        sys.excepthook = _log_and_print_exception
    console = logging.StreamHandler(sys.stderr)
    console.addFilter(_ConsoleFilter(verbose=not quiet))
    console.setFormatter(_ConsoleFormatter())
    root.addHandler(console)
    _state.update(file_handler=file_handler, console_handler=console, log_file=log_file, quiet=quiet,
                  pinned=pinned)


def _point_fds_at(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    finally:
        os.close(fd)


def _log_and_print_exception(exc_type, exc, tb) -> None:
    """`sys.excepthook` in quiet mode: the traceback goes to the log file and the console."""
    handler = _state.get("file_handler")
    if handler is not None:
        handler.stream.write("".join(traceback.format_exception(exc_type, exc, tb)))
        handler.flush()
    _state["excepthook"](exc_type, exc, tb)
    if _state.get("log_file"):
        print(f"(full log: {_state['log_file']})", file=sys.stderr)


def log_file() -> str | None:
    """The current log file, or `None` before `setup` or without one."""
    return _state.get("log_file")


def set_console_format(fmt: str) -> None:
    """Sets the `logging` format of the console records (e.g. with `%(asctime)s` for a server)."""
    handler = _state.get("console_handler")
    if handler is not None:
        handler.setFormatter(logging.Formatter(fmt))


def move_to(path: str) -> None:
    """Continues the log in `path` (e.g. in the run dir, once it is known).

    What was logged so far is copied to the start of `path` and the previous
    file is removed. Does nothing before `setup`, without a log file, when the
    user chose the file (`setup(..., pinned=True)`), or when the log already is
    `path`.

    Args:
        path: the new log file; its directory is created.
    """
    old = _state.get("log_file")
    if old is None or _state["pinned"] or os.path.abspath(old) == os.path.abspath(path):
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    root = logging.getLogger()
    old_handler = _state["file_handler"]
    old_handler.flush()
    with open(old, "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())
    new_handler = logging.FileHandler(path, mode="a", encoding="utf-8")
    new_handler.setFormatter(old_handler.formatter)
    root.addHandler(new_handler)
    root.removeHandler(old_handler)
    old_handler.close()
    if _state["quiet"]:
        _point_fds_at(path)
    os.remove(old)
    with contextlib.suppress(OSError):  # the default log dir, when nothing else is in it
        os.rmdir(os.path.dirname(os.path.abspath(old)))
    _state.update(file_handler=new_handler, log_file=path)
