"""Safe archive extraction (.tar, .tar.gz, .tgz, .zip) into the cache.

Every member is checked before anything is written: an absolute path, a
`..` component, a link (symbolic or hard) whose target leaves the
extraction directory, a device file or a FIFO refuses the whole archive.
Tar files are then extracted with tarfile's `data` filter as a second line
of defence. The archive is unpacked into a fresh temporary directory inside
`dest`'s parent (in the cache) and renamed to `dest` only when complete;
on any error the temporary directory is removed.
"""

import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import zipfile

from albert_keras.handles import HubError

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


def is_archive(path: str) -> bool:
    """True when the file name ends in a supported archive suffix."""
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def _unsafe_name(name):
    """Why a member name is unsafe, or None."""
    if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.replace("\\", "/").split("/"):
        return "a '..' component"
    return None


def _outside(target, name):
    """True when a symlink at `name` pointing to `target` resolves outside the archive's root."""
    if target.startswith("/") or (len(target) > 1 and target[1] == ":"):
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    return resolved == ".." or resolved.startswith("../")


def _check_tar(archive, members):
    for m in members:
        reason = _unsafe_name(m.name)
        if reason is None and (m.isdev() or m.isfifo()):
            reason = "a device file" if m.isdev() else "a FIFO"
        if reason is None and m.issym() and _outside(m.linkname, m.name):
            reason = f"a symlink to {m.linkname!r}, outside the archive"
        if reason is None and m.islnk() and _unsafe_name(m.linkname):
            reason = f"a hard link to {m.linkname!r}, outside the archive"
        if reason is None and not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            reason = "not a regular file, directory or link"
        if reason is not None:
            raise HubError(f"Refusing to extract {archive}: member {m.name!r} is {reason}.")


def _check_zip(archive, infos):
    for info in infos:
        reason = _unsafe_name(info.filename)
        mode = info.external_attr >> 16
        if reason is None and stat.S_ISLNK(mode):
            reason = "a symlink"
        elif reason is None and mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            reason = "a device file or other special file"
        if reason is not None:
            raise HubError(f"Refusing to extract {archive}: member {info.filename!r} is {reason}.")


def check_integrity(archive: str) -> None:
    """Reads every member's data (CRC / gzip checks), raising `HubError` on a corrupt archive."""
    try:
        if archive.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as z:
                bad = z.testzip()
            if bad is not None:
                raise HubError(f"The archive {archive} is corrupt: member {bad!r} fails its CRC check.")
            return
        with tarfile.open(archive, "r:*") as t:
            for m in t:
                if m.isfile():
                    f = t.extractfile(m)
                    while f.read(1 << 20):
                        pass
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as e:
        raise HubError(f"The archive {archive} is truncated or corrupt: {type(e).__name__}: {e}") from e


def extract(archive: str, dest: str) -> str:
    """Extracts an archive safely into the new directory `dest`.

    Args:
        archive: a .tar, .tar.gz, .tgz or .zip file.
        dest: the directory to create (its parent must be in the cache);
            replaced if it exists.

    Returns:
        `dest`.

    Raises:
        HubError: an unsafe member (named), a corrupt or truncated archive,
            or an unsupported suffix.
    """
    if not is_archive(archive):
        raise HubError(f"`archive` must end in one of {ARCHIVE_SUFFIXES}. Received: {archive!r}")
    parent = os.path.dirname(os.path.abspath(dest))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".extract-")
    try:
        if archive.lower().endswith(".zip"):
            _extract_zip(archive, tmp)
        else:
            _extract_tar(archive, tmp)
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _extract_tar(archive, tmp):
    try:
        with tarfile.open(archive, "r:*") as t:
            members = t.getmembers()  # reads the whole stream: a truncated archive fails here
            _check_tar(archive, members)
            t.extractall(tmp, members=members, filter="data")
    except tarfile.FilterError as e:
        raise HubError(f"Refusing to extract {archive}: {e}") from e
    except (tarfile.TarError, OSError, EOFError) as e:
        raise HubError(f"The archive {archive} is truncated or corrupt: {type(e).__name__}: {e}") from e


def _extract_zip(archive, tmp):
    try:
        with zipfile.ZipFile(archive) as z:
            infos = z.infolist()
            _check_zip(archive, infos)
            bad = z.testzip()
            if bad is not None:
                raise HubError(f"The archive {archive} is corrupt: member {bad!r} fails its CRC check.")
            root = os.path.realpath(tmp)
            for info in infos:
                path = os.path.realpath(os.path.join(tmp, info.filename))
                if os.path.commonpath([root, path]) != root:
                    raise HubError(f"Refusing to extract {archive}: member {info.filename!r} leaves the target.")
                z.extract(info, tmp)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise HubError(f"The archive {archive} is truncated or corrupt: {type(e).__name__}: {e}") from e
