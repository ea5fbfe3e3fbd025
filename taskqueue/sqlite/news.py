"""Waking waiters when the database changes, without spinning.

This process's own commits wake waiters directly. Other processes' commits are seen as a
change to the WAL file: through inotify on the event loop on Linux, else watchfiles. A
wake-up can arrive just before the commit is visible to readers, so every wake-up is
echoed once more a moment later: a waiter that found nothing on the first wake looks
again instead of sleeping until its fallback timeout.

The event loop reads the inotify events only while something waits. A worker whose slots
are all busy would otherwise wake on every commit of every process for nobody; with
dozens of processes those wake-ups were most of the machine's CPU. The kernel keeps
queueing events meanwhile, so the next waiter still sees a change made before it began.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from taskqueue.sqlite.inotify import FolderWatch

logger = logging.getLogger(__name__)

ECHO_S = 0.005
# watchfiles' rust loop yields a change once `step` ms pass with no further change.
WATCH_STEP_MS = 1
WATCH_DEBOUNCE_MS = 20


class News:
    """A version counter bumped on every change, and waiting for it to move."""

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._version = 0
        self._changed = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None
        self._inotify: FolderWatch | None = None
        self._listening = False
        self._waiters = 0
        self._echo_pending = False
        self._stop = asyncio.Event()
        self._watched = {db_path.name + "-wal", db_path.name}

    @property
    def version(self) -> int:
        return self._version

    def notify(self) -> None:
        """Something changed: wake every waiter, and once more shortly after."""
        self._bump()
        if not self._echo_pending:
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().call_later(ECHO_S, self._echo)
                self._echo_pending = True

    def _echo(self) -> None:
        self._echo_pending = False
        self._bump()

    def _bump(self) -> None:
        self._version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, max_wait_s: float, after_version: int | None = None) -> bool:
        """Wait until the version passes `after_version` (default: now) or `max_wait_s`."""
        self._ensure_watcher()
        if after_version is not None and self._version > after_version:
            return True
        changed = self._changed
        self._waiters += 1
        self._listen()
        try:
            await asyncio.wait_for(changed.wait(), max_wait_s)
        except TimeoutError:
            return False
        finally:
            self._waiters -= 1
        return True

    def _ensure_watcher(self) -> None:
        if self._watcher is not None or self._inotify is not None or self._stop.is_set():
            return
        try:
            self._inotify = FolderWatch(self._db_path.parent)
        except (OSError, AttributeError):
            self._watcher = asyncio.get_running_loop().create_task(
                self._watch(), name=f"news-watcher:{self._db_path.name}"
            )

    def _listen(self) -> None:
        """Read inotify events on the event loop (from the first one still unread)."""
        if self._inotify is None or self._listening:
            return
        loop = asyncio.get_running_loop()
        try:
            loop.add_reader(self._inotify.fd, self._on_inotify)
        except NotImplementedError:
            # An event loop without add_reader (Windows' proactor has no inotify anyway).
            self._inotify.close()
            self._inotify = None
            self._watcher = loop.create_task(
                self._watch(), name=f"news-watcher:{self._db_path.name}"
            )
            return
        self._listening = True

    def _on_inotify(self) -> None:
        assert self._inotify is not None
        names = self._inotify.changed_names()
        # While nobody listens the queue can overflow (other files of the folder change
        # too); an overflow may have dropped a change of ours.
        if names & self._watched or FolderWatch.OVERFLOWED in names:
            self.notify()
        if self._waiters == 0:
            asyncio.get_running_loop().remove_reader(self._inotify.fd)
            self._listening = False

    async def _watch(self) -> None:
        # Imported here: on Linux inotify serves, and an idle worker need not carry
        # watchfiles (with anyio and multiprocessing) in its memory.
        import watchfiles

        watched = self._watched
        try:
            async for _changes in watchfiles.awatch(
                self._db_path.parent,
                watch_filter=lambda _change, path: Path(path).name in watched,
                debounce=WATCH_DEBOUNCE_MS,
                step=WATCH_STEP_MS,
                stop_event=self._stop,
                recursive=False,
            ):
                self.notify()
        except Exception:
            # Waiters still wake on their fallback timeout; the store keeps working.
            logger.exception("watching %s for changes failed; polling instead", self._db_path)

    async def close(self) -> None:
        self._stop.set()
        if self._inotify is not None:
            if self._listening:
                with contextlib.suppress(RuntimeError):
                    asyncio.get_running_loop().remove_reader(self._inotify.fd)
                self._listening = False
            self._inotify.close()
            self._inotify = None
        if self._watcher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
