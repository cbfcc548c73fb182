"""Quiet by default: library noise goes to the log file, the command's own output and errors to the console."""

import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

from pipeline.progress import CACHED, FINISHED, RUNNING, component_progress, format_line
from tests.serving_launcher import REPO, free_port

ALBERT = os.path.join(os.path.dirname(sys.executable), "albert")
# A leading timestamp: TF's C++ "2026-12-01 18:09:07.307687: " or glog's "I0000 00:00:1796148844.623150 ".
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.,]\d+:? |[IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ )")

# Every channel a library can print through, then the command's own output, then an uncaught error.
_NOISY_COMMAND = textwrap.dedent("""
    import logging, os, subprocess, sys, warnings
    from albert_keras import logs

    logs.setup(sys.argv[1], verbose=sys.argv[2] == "verbose")
    warnings.warn("py-warning-marker")
    logging.getLogger("tensorflow").warning("tf-logger-marker")
    logging.getLogger("absl").warning("absl-marker")
    logging.getLogger("apache_beam.runners").warning("beam-marker")
    logging.getLogger("googleapiclient.discovery").info("google-api-marker")
    os.write(2, b"fd2-marker (C++ logs write here)\\n")
    child = "import sys; print('child-stdout-marker'); sys.stderr.write('child-stderr-marker')"
    subprocess.run([sys.executable, "-c", child])
    print("own-result")
    logging.getLogger("albert_keras.example").info("own-progress")
    logging.getLogger("tensorflow").error("library-error-marker")
    if len(sys.argv) > 3:
        logs.move_to(sys.argv[3])
        logging.getLogger("absl").warning("after-move-marker")
    raise RuntimeError("boom: the command failed")
""")
_LIBRARY_MARKERS = ["py-warning-marker", "tf-logger-marker", "absl-marker", "beam-marker", "google-api-marker",
                    "fd2-marker", "child-stdout-marker", "child-stderr-marker"]


def _run_noisy(tmp_path, mode, *extra):
    log = tmp_path / "first" / "albert.log"
    done = subprocess.run([sys.executable, "-c", _NOISY_COMMAND, str(log), mode, *extra], capture_output=True,
                          text=True, timeout=120, cwd=REPO, env=dict(os.environ, PYTHONPATH=REPO))
    return done, log


def test_quiet_console_shows_own_output_and_errors_and_the_log_file_gets_the_rest(tmp_path):
    done, log = _run_noisy(tmp_path, "quiet")
    assert done.returncode == 1
    assert done.stdout == "own-result\n"
    for marker in _LIBRARY_MARKERS:
        assert marker not in done.stdout + done.stderr, marker
    assert "own-progress" in done.stderr
    assert "library-error-marker" in done.stderr  # errors from anyone still reach the console
    assert "Traceback (most recent call last)" in done.stderr
    assert "RuntimeError: boom: the command failed" in done.stderr
    assert f"(full log: {log})" in done.stderr
    text = log.read_text()
    for marker in [*_LIBRARY_MARKERS, "own-progress", "library-error-marker", "RuntimeError: boom"]:
        assert marker in text, marker


def test_verbose_shows_the_library_output_on_the_console(tmp_path):
    done, log = _run_noisy(tmp_path, "verbose")
    assert done.returncode == 1
    console = done.stdout + done.stderr
    for marker in [*_LIBRARY_MARKERS, "own-result", "own-progress", "RuntimeError: boom"]:
        assert marker in console, marker
    assert "tf-logger-marker" in log.read_text()  # the log file is still written


def test_move_to_carries_the_log_over_to_the_run_dir(tmp_path):
    run_log = tmp_path / "run" / "albert.log"
    done, first = _run_noisy(tmp_path, "quiet", str(run_log))
    assert done.returncode == 1
    assert not first.exists()
    text = run_log.read_text()
    for marker in ["py-warning-marker", "fd2-marker", "child-stderr-marker", "after-move-marker", "RuntimeError: boom"]:
        assert marker in text, marker
    assert "after-move-marker" not in done.stderr
    assert f"(full log: {run_log})" in done.stderr


def _start_query(tmp_path, *flags):
    """Starts `albert query` against a port nobody listens on: it imports TensorFlow and gRPC, then fails."""
    tmp_path.mkdir()
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="0", ALBERT_LOG_DIR=str(tmp_path / "logs"))
    return subprocess.Popen([ALBERT, *flags, "query", "--server", f"127.0.0.1:{free_port()}", "--text", "a [MASK]",
                             "--timeout", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, env=env)


def _finish(proc):
    stdout, stderr = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _normalized(line):
    return _STAMP.sub("", line.strip())


def test_albert_query_is_quiet_by_default_and_verbose_shows_tensorflow(tmp_path):
    running = _start_query(tmp_path / "quiet"), _start_query(tmp_path / "verbose", "--verbose")
    quiet, verbose = (_finish(proc) for proc in running)
    log = tmp_path / "quiet" / "logs" / "albert-query.log"

    # Default: only the command's error message and where the log is.
    assert quiet.returncode == 1, quiet.stderr
    assert quiet.stdout == ""
    lines = quiet.stderr.splitlines()
    assert lines[0].startswith("error: UNAVAILABLE: "), quiet.stderr
    assert lines[1:] == [f"(full log: {log})"], quiet.stderr

    # --verbose: the same error, plus TensorFlow's own lines (TF_CPP_MIN_LOG_LEVEL=0 makes it log at import)...
    assert verbose.returncode == 1
    assert "error: UNAVAILABLE: " in verbose.stderr
    noise = [_normalized(line) for line in verbose.stderr.splitlines()
             if line.strip() and not line.startswith("error: ")]
    assert any("tensorflow/" in line or "external/" in line for line in noise), verbose.stderr
    # ...each of which the quiet run wrote to its log file instead.
    text = log.read_text()
    tf_lines = [line for line in noise if "tensorflow/" in line or "external/" in line]
    for line in tf_lines:
        assert line[-60:] in text, line


def test_component_progress_prints_one_line_per_component(capsys):
    absl = logging.getLogger("absl")
    with pytest.raises(RuntimeError, match="the Trainer broke"), component_progress() as progress:
        absl.info(RUNNING, "ExampleGen")
        absl.info(FINISHED, "ExampleGen")
        absl.info(RUNNING, "SchemaGen")
        absl.info(CACHED, 7)
        absl.info(FINISHED, "SchemaGen")
        absl.info(RUNNING, "Trainer")
        raise RuntimeError("the Trainer broke")
    out = capsys.readouterr().out.splitlines()
    assert out == progress.lines
    assert len(out) == 3
    assert re.fullmatch(r"  ExampleGen \.{3,} +\d+\.\d s", out[0]), out[0]
    assert re.fullmatch(r"  SchemaGen \.{3,} +\d+\.\d s \(cached\)", out[1]), out[1]
    assert re.fullmatch(r"  Trainer \.{3,} +\d+\.\d s \(failed\)", out[2]), out[2]
    assert len({line.index(" s") for line in out}) == 1  # the times line up
    assert format_line("X", 12.34) == "  X " + "." * 26 + "   12.3 s"


def test_component_progress_continues_after_a_saved_model_save(tmp_path):
    """TF's SavedModel saving resets the `absl` logger's level; the components after the Trainer still print."""
    absl = logging.getLogger("absl")
    with component_progress() as progress:
        absl.info(RUNNING, "Trainer")
        tf.saved_model.save(tf.Module(), str(tmp_path / "model"))
        absl.info(FINISHED, "Trainer")
        absl.info(RUNNING, "Pusher")
        absl.info(FINISHED, "Pusher")
    assert [line.split()[0] for line in progress.lines] == ["Trainer", "Pusher"]


def test_cli_and_configs_import_without_tensorflow():
    # The quiet console hides TensorFlow's start-up lines only if TensorFlow loads after `logs.setup`:
    # building the CLI (every command's flags) and reading configs must not import it.
    code = (
        "import sys\n"
        "from albert_keras.cli import build_parser\n"
        "build_parser()\n"
        "import albert_keras.config, albert_keras.tokenizer.loading, albert_keras.tokenizer.vocab\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=REPO), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
