"""Following a session directory live: batches of files added or changed.

Built on ``watchfiles`` (inotify on Linux), so a follower sleeps until the kernel reports a
change instead of polling. An atomic write shows up once, under its final name: the
temporary file it went through is filtered out.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from blackboard.layout import is_temp_name

if TYPE_CHECKING:
    from watchfiles import Change

DEBOUNCE_MS = 50
"""How long changes are gathered into one batch: a write and its rename become one report."""

STEP_MS = 10
"""How often the gathering checks for more changes."""


async def watch_changes(
    session_dir: Path, stop_event: asyncio.Event | None = None
) -> AsyncIterator[list[str]]:
    """Yield sorted posix paths, relative to ``session_dir``, of files added or modified.

    Ends when ``stop_event`` is set. Folders, deletions and temporary files are left out.
    """
    # Imported here: watchfiles (with anyio and multiprocessing) is sizeable, and only a
    # follower of the board needs it, not every worker and command that writes to it.
    from watchfiles import awatch

    root = _watched_root(session_dir)
    async for changes in awatch(
        root,
        watch_filter=_is_reported,
        debounce=DEBOUNCE_MS,
        step=STEP_MS,
        stop_event=stop_event,
    ):
        paths = _changed_files(root, changes)
        if paths:
            yield paths


# The helpers below stat a handful of paths: too quick to be worth handing to a thread.


def _watched_root(session_dir: Path) -> Path:
    # Resolved, so the paths watchfiles reports can be made relative to it.
    return session_dir.resolve()


def _changed_files(root: Path, changes: set[tuple[Change, str]]) -> list[str]:
    # A file added then removed within one batch is gone by now, and is left out.
    files = {Path(path).relative_to(root).as_posix() for _, path in changes if os.path.isfile(path)}
    return sorted(files)


def _is_reported(change: Change, path: str) -> bool:
    return change.name != "deleted" and not is_temp_name(os.path.basename(path))
