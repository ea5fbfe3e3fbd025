"""A blackboard file held open for appends: a file that grows while it is read (an agent's
trace) is checked once, when opened, and each addition is then one `write` to its end.

Opening does what an append to a closed file would do each time: the path is confined to
the session, the file must exist, and under its folder's lock it must not be another
task's. A later addition trusts that check: the file is the writer's own, and only a
writer of the same task may replace it.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from blackboard.atomic import fsync_folder
from blackboard.errors import BlackboardFileNotFound, TextNotEncodable
from blackboard.paths import ConfinedPath

if TYPE_CHECKING:
    from blackboard.board import Blackboard
    from blackboard.frontmatter import FrontMatter


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class OpenAppend:
    """The end of one blackboard file, open for additions until `close`."""

    def __init__(self, fd: int, target: ConfinedPath, session_id: str, *,
                 name_durable: bool = True) -> None:
        self._fd = fd
        self._target = target
        self._session_id = session_id
        # A file made by `start_append` is not durable, nor is its folder's entry for it.
        self._name_durable = name_durable

    @property
    def relative(self) -> str:
        """The file's path in the session."""
        return self._target.relative

    def add(self, text: str, *, durable: bool = False) -> None:
        """Write `text` at the file's end; with `durable`, fsync the whole file after
        (and its folder, the first time, for a file `start_append` made).

        A `durable` addition first checks that the path still names the file opened: one
        removed or replaced meanwhile raises `BlackboardFileNotFound`, so that the caller
        writes the whole text again rather than losing it to a file nobody can read."""
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise TextNotEncodable(self._target.relative, self._session_id, exc) from None
        if durable and not self._still_named():
            raise BlackboardFileNotFound(self._target.relative, self._session_id)
        write_all(self._fd, data)
        if durable:
            os.fsync(self._fd)
            if not self._name_durable:
                fsync_folder(self._target.absolute.parent)
                self._name_durable = True

    def close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def __del__(self) -> None:
        self.close()

    def _still_named(self) -> bool:
        try:
            named = os.stat(self._target.absolute, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return False
        held = os.fstat(self._fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


class AppendsOf:
    """The files one task's writer keeps open for appends, by path, each opened at its
    start or first addition and closed at its `last` one, when a write replaces it, or at
    `close`.

    Safe to use from several threads (a skill may append from a worker thread)."""

    def __init__(self, board: Blackboard, writer_task: int | None) -> None:
        self._board = board
        self._writer_task = writer_task
        self._open: dict[str, OpenAppend] = {}
        self._lock = threading.Lock()

    def add(self, path: str, text: str, *, last: bool = False) -> str:
        """Append `text` to the file at `path`; `last` makes the whole file durable and
        closes it. Returns the file's path in the session."""
        with self._lock:
            appending = self._open.pop(path, None) if last else self._open.get(path)
        if appending is None:
            opened = self._board.open_append(path, self._writer_task)
            appending = opened
            if not last:
                with self._lock:
                    # Another thread may have opened it meanwhile: either end serves.
                    appending = self._open.setdefault(path, opened)
                if appending is not opened:
                    opened.close()
        try:
            appending.add(text, durable=last)
        finally:
            if last:
                appending.close()
        return appending.relative

    def start(self, path: str, text: str, meta: FrontMatter) -> str:
        """Write the file at `path` anew (`Blackboard.start_append`) and keep it open for
        additions. Returns its path in the session."""
        started = self._board.start_append(path, text, meta)
        self.replaced(started.relative)
        with self._lock:
            self._open[path] = started
        return started.relative

    def replaced(self, relative: str) -> None:
        """The file at `relative` was written whole: later additions go to the new one."""
        with self._lock:
            gone = [path for path, open_ in self._open.items() if open_.relative == relative]
            closing = [self._open.pop(path) for path in gone]
        for appending in closing:
            appending.close()

    def close(self) -> None:
        with self._lock:
            closing, self._open = list(self._open.values()), {}
        for appending in closing:
            appending.close()
