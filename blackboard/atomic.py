"""Atomic file replacement and per-folder locking (POSIX).

A reader, a watcher or a crash sees either the old file or the new one, never a part:
the bytes go to a temporary file in the same folder, are flushed and fsynced, the file is
renamed over the target, and the folder is fsynced so that the rename itself is durable.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from blackboard.layout import temp_name

FILE_MODE = 0o666
"""Narrowed by the process umask, like any file ``open()`` creates."""


def write_atomic(target: Path, data: bytes, check: Callable[[], None] = lambda: None) -> None:
    """Replace ``target`` with ``data`` atomically; on error the temporary file is removed.

    ``check`` runs under the folder's lock just before the rename and may refuse it by
    raising. Only the check and the rename hold the lock: writing and fsyncing the bytes
    happen before, so writers of one folder wait for each other's renames, not their disks.
    """
    temp = target.with_name(temp_name(target.name, secrets.token_hex(6)))
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        with folder_lock(target.parent):
            check()
            os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_folder(target.parent)


def fsync_folder(folder: Path) -> None:
    """Make the entries of ``folder`` (a rename, a new file) durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so that check-then-write runs alone.

    Processes writing the same folder take turns; the lock is on the folder itself, so no
    lock file appears on the blackboard. Where the file system cannot lock a folder (some
    network mounts) the write goes ahead unlocked rather than failing.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)
