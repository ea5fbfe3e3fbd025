"""Linux inotify through ctypes: a file descriptor the event loop itself watches.

A waiter wakes on a write to the WAL file within a fraction of a millisecond, and costs
nothing while idle (no polling thread). Elsewhere `News` falls back to watchfiles.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import struct
import sys
from pathlib import Path

IN_MODIFY = 0x002
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_Q_OVERFLOW = 0x4000
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then `len` bytes of name


class FolderWatch:
    """Names of the files in one folder that were written, created or moved in."""

    # Stands for every name once the kernel's queue overflowed and dropped events.
    OVERFLOWED = "*"

    def __init__(self, folder: Path) -> None:
        if not sys.platform.startswith("linux"):
            raise OSError("inotify is Linux only")
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO
        if libc.inotify_add_watch(fd, os.fsencode(folder), mask) < 0:
            errno = ctypes.get_errno()
            os.close(fd)
            raise OSError(errno, f"inotify_add_watch {folder} failed")
        self.fd = fd

    def changed_names(self) -> set[str]:
        """Drain the pending events; the names they concern."""
        names: set[str] = set()
        while True:
            try:
                data = os.read(self.fd, 64 * 1024)
            except BlockingIOError:
                return names
            offset = 0
            while offset + _EVENT.size <= len(data):
                _wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                start = offset + _EVENT.size
                if mask & IN_Q_OVERFLOW:
                    names.add(self.OVERFLOWED)
                names.add(data[start:start + length].rstrip(b"\0").decode(errors="replace"))
                offset = start + length

    def close(self) -> None:
        os.close(self.fd)
