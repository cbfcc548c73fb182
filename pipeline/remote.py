"""Remote artifact URIs for code that reads and writes local files.

albert_keras reads and writes model dirs, vocabularies and run dirs with
Python's file API. Under the LocalDagRunner every artifact URI is a local
path; on Vertex AI Pipelines, Vertex AI Training and Dataflow workers they
are ``gs://...``. These helpers copy (with `tf.io.gfile`, so any scheme it
knows: ``gs://``, ``ram://`` in tests) what a step reads into a local dir,
and what it writes back to the URI. A local path passes through unchanged.
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

import tensorflow as tf


def is_remote(path: str) -> bool:
    """True for a URI with a scheme (``gs://bucket/x``), False for a local path."""
    return "://" in str(path)


def parent(path: str) -> str:
    """The parent of a local path or a URI (`os.path.normpath` would turn gs://b into gs:/b)."""
    if is_remote(path):
        return path.rstrip("/").rsplit("/", 1)[0]
    return os.path.dirname(os.path.normpath(path))


def download_dir(uri: str, local_dir: str) -> str:
    """Copies the tree under `uri` into `local_dir` (created); returns `local_dir`."""
    uri = uri.rstrip("/")
    if not tf.io.gfile.isdir(uri):
        raise FileNotFoundError(f"No directory at {uri!r}")
    for directory, _, files in tf.io.gfile.walk(uri):
        relative = directory[len(uri):].lstrip("/")
        target = os.path.join(local_dir, relative)
        os.makedirs(target, exist_ok=True)
        for name in files:
            tf.io.gfile.copy(f"{directory.rstrip('/')}/{name}", os.path.join(target, name), overwrite=True)
    return local_dir


def upload_dir(local_dir: str, uri: str) -> None:
    """Copies the tree under `local_dir` to `uri` (files overwritten)."""
    uri = uri.rstrip("/")
    tf.io.gfile.makedirs(uri)
    for directory, subdirs, files in os.walk(local_dir):
        relative = os.path.relpath(directory, local_dir)
        target = uri if relative == "." else f"{uri}/{relative.replace(os.sep, '/')}"
        for name in subdirs:
            tf.io.gfile.makedirs(f"{target}/{name}")
        for name in files:
            tf.io.gfile.copy(os.path.join(directory, name), f"{target}/{name}", overwrite=True)


def local_copy(path: str, prefix: str = "albert_") -> str:
    """`path` itself when local; else a local copy of the remote dir (a new temp dir).

    Args:
        path: a local dir or a remote dir URI.
        prefix: the temp dir's name prefix.

    Returns:
        A local directory holding the same files.
    """
    if not is_remote(path):
        return path
    return download_dir(path, tempfile.mkdtemp(prefix=prefix))


def local_dir_for(uri: str, prefix: str = "albert_") -> str:
    """`uri` itself when local; else a new empty temp dir to write in (upload it with `upload_dir`)."""
    return tempfile.mkdtemp(prefix=prefix) if is_remote(uri) else uri


@contextlib.contextmanager
def writable_dir(uri: str, prefix: str = "albert_") -> Iterator[str]:
    """Yields a local dir to write `uri`'s contents into; uploads it on success.

    A local `uri` is yielded as is. For a remote one, a temp dir is yielded
    and, when the block ends without an exception, its tree is copied to
    `uri`; the temp dir is removed either way.
    """
    if not is_remote(uri):
        yield uri
        return
    local = tempfile.mkdtemp(prefix=prefix)
    try:
        yield local
        upload_dir(local, uri)
    finally:
        shutil.rmtree(local, ignore_errors=True)
