"""Files that may hold call content or credentials: created 0600 in 0700 directories,
whatever the umask (directories and files that exist already keep their modes)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """``path`` and its missing parents, each one created here made 0700."""
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # made meanwhile by another process
        os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def private_open(path: Path, mode: str = "a", **kwargs: Any) -> IO[Any]:
    """``path`` opened to append (``"a"`` or ``"ab"``), created 0600 in a private folder."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, FILE_MODE)
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits off
    except FileExistsError:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    return os.fdopen(fd, mode, **kwargs)


def private_write(path: Path, data: bytes) -> None:
    """``data`` into ``path`` whole (a temporary file beside it, then a rename), 0600:
    a failure leaves no partial file (and an existing one as it was)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:  # mkstemp makes it 0600
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def private_fs(fs: Any, folder: str) -> None:
    """``fs.makedirs(folder)``; on the local file system its new folders made 0700."""
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        private_dir(Path(folder))
    else:
        fs.makedirs(folder, exist_ok=True)


def private_fs_file(fs: Any, path: str) -> None:
    """A file just written through fsspec made 0600 when it is a local file."""
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(fs, LocalFileSystem):
        os.chmod(path, FILE_MODE)


def exposed(path: Path) -> list[str]:
    """What group or others may do in ``path`` (``["group read", …]``); empty when private
    or absent."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    bits = [
        (0o040, "group read"),
        (0o020, "group write"),
        (0o004, "others read"),
        (0o002, "others write"),
    ]
    return [name for bit, name in bits if mode & bit]
