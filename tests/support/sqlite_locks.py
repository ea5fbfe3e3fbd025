"""Another writer holding SQLite's write lock, as a second process would."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path


def _hold_write_lock(path: Path, seconds: float, locked: threading.Event,
                    releasing: threading.Event) -> None:
    """Hold SQLite's write lock from a plain connection, as another writer would."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(seconds)
        releasing.set()
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextlib.asynccontextmanager
async def write_lock_held(path: Path, seconds: float) -> AsyncIterator[threading.Event]:
    """Another thread holds the write lock for `seconds` from the start of the block;
    yields the event it sets just before it lets go."""
    locked, releasing = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(path, seconds, locked, releasing))
    holder.start()
    try:
        assert await asyncio.to_thread(locked.wait, 10)
        yield releasing
    finally:
        await asyncio.to_thread(holder.join)
