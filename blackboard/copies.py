"""Copying a session's blackboard files from the store to a host's own blackboard, for
hosts that share only the store (docs/design.md, "Hosts that share only the store").

Every process of a host that shares its home (the workers, the orchestrator) copies into
the same folder, so the host remembers how far the copy went in the session's folder: the
mark (`COPY_MARK`) holds the last sequence number up to which every file the store holds
is on this disk. It is written only after the files up to it are, and only ever moves up;
the copiers of the host take turns (`COPY_LOCK`), so one of them does a copy once, and a
restarted worker starts from the mark instead of from the first file. A file put again
in the store moves to a new, higher sequence number, so it is met again past the mark.

The blackboard knows nothing of the queue: the store is any object with the
`blackboard_files` method of `taskqueue.Store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from blackboard.atomic import write_atomic
from blackboard.board import Blackboard
from blackboard.layout import COPY_LOCK, COPY_MARK

COPY_BATCH = 100

# How often a copier waiting for another one of its host tries the lock again.
LOCK_POLL_S = 0.02


class FileCopy(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def seq(self) -> int: ...


class FileSource(Protocol):
    async def blackboard_files(
        self, session_id: str, after: int = 0, limit: int = 100
    ) -> Sequence[FileCopy]: ...


class HostCopy:
    """This host's copy of one session's files: brought up to the store's from the mark
    the host keeps, which it moves on after each batch written."""

    def __init__(self, source: FileSource, board: Blackboard) -> None:
        self._source = source
        self._board = board
        # The tasks of one process take turns here before they take the host's lock.
        self._turn = asyncio.Lock()
        # The highest mark this process has seen on disk (None: not read yet): every
        # file up to it is there.
        self._known: int | None = None
        # The last update begun, and when (`update`'s `fresh_since`).
        self._last: tuple[float, asyncio.Future[int]] | None = None

    async def update(self, fresh_since: float | None = None) -> int:
        """Copy every file put since the mark; the new mark.

        `fresh_since` (a `time.monotonic()`): an update begun at or after it is recent
        enough, and one under way or done is shared rather than made again. A worker
        passes the moment its claim returned: whatever a claimed task reads was put
        before the task could be claimed, so any update begun since sees it."""
        if fresh_since is not None and self._last is not None:
            begun, update = self._last
            if begun >= fresh_since:
                return await asyncio.shield(update)
        begun = time.monotonic()
        update = asyncio.ensure_future(self._update())
        # Its failure reaches those who wait for it; one whose waiters were all cancelled
        # would otherwise be reported as never retrieved.
        update.add_done_callback(_seen)
        self._last = (begun, update)
        return await asyncio.shield(update)

    async def _update(self) -> int:
        if self._known is None:
            self._known = await asyncio.to_thread(copied_mark, self._board)
        # Most updates (a worker's, before each attempt) find nothing new: one question
        # to the store, and neither lock nor disk.
        if not await self._source.blackboard_files(self._board.session_id,
                                                   after=self._known, limit=1):
            return self._known
        async with self._turn, _host_turn(self._board):
            after = max(self._known, await asyncio.to_thread(copied_mark, self._board))
            while batch := await self._source.blackboard_files(
                    self._board.session_id, after=after, limit=COPY_BATCH):
                await asyncio.to_thread(_write_batch, self._board, batch)
                after = batch[-1].seq
            self._known = after
            return after


def _seen(update: asyncio.Future[int]) -> None:
    if not update.cancelled():
        update.exception()


def copied_mark(board: Blackboard) -> int:
    """The last sequence number up to which every file of the store is in `board` (0: no
    mark, or one that does not read as a number)."""
    try:
        return int((board.path / COPY_MARK).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return 0


def _write_batch(board: Blackboard, batch: Sequence[FileCopy]) -> None:
    """The files, then the mark past them: a mark never promises a file not yet written
    (each copy is fsynced before the mark is)."""
    for copy in batch:
        board.write_copy(copy.path, copy.text)
    _raise_mark(board, batch[-1].seq)


class _NotHigher(Exception):
    """The mark on disk is already this high (a copier that could not take the lock)."""


def _raise_mark(board: Blackboard, seq: int) -> None:
    def only_up() -> None:
        if copied_mark(board) >= seq:
            raise _NotHigher
    with contextlib.suppress(_NotHigher):
        write_atomic(board.path / COPY_MARK, f"{seq}\n".encode("ascii"), check=only_up)


@contextlib.asynccontextmanager
async def _host_turn(board: Blackboard) -> AsyncIterator[None]:
    """Hold the host's copy lock for the session (waiting without blocking the loop).
    A process that dies holding it lets it go. Where the file system cannot lock, the
    copy goes ahead unlocked: the mark still only moves up and never past a file not
    written, but two copiers at once may write the same files twice, and a file put
    again meanwhile may keep its older text until it is put once more."""
    board.path.mkdir(parents=True, exist_ok=True)
    fd = os.open(board.path / COPY_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL_S)
                continue
            except OSError:
                pass
            break
        yield
    finally:
        # Closing the descriptor releases the lock.
        os.close(fd)
