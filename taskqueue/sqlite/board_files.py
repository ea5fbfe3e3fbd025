"""Blackboard files kept in the store (a part of `SqliteStore`), for workers on hosts
that share only the store: one row per path, its latest text under the next sequence."""

from __future__ import annotations

import aiosqlite

from taskqueue.errors import UnknownSession
from taskqueue.models import BoardFileCopy
from taskqueue.sqlite.outbox import StoreDatabase, Write


class BoardFiles:
    """Putting a blackboard file's text, and reading the files put after a sequence."""

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db

    async def put(self, session_id: str, path: str, text: str) -> int:
        seq = await self._db.write(lambda w: _put(w, session_id, path, text))
        if seq is None:
            raise UnknownSession(f"no session {session_id!r}")
        return seq

    async def after(self, session_id: str, after: int, limit: int) -> list[BoardFileCopy]:
        rows = await self._db.read(lambda conn: _select_after(conn, session_id, after, limit))
        return [BoardFileCopy(path=row["path"], text=row["text"], seq=row["seq"])
                for row in rows]


async def _put(w: Write, session_id: str, path: str, text: str) -> int | None:
    cursor = await w.conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,))
    if await cursor.fetchone() is None:
        return None
    cursor = await w.conn.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM blackboard_files WHERE session_id = ?",
        (session_id,))
    row = await cursor.fetchone()
    assert row is not None
    seq = int(row[0])
    await w.conn.execute(
        "INSERT OR REPLACE INTO blackboard_files (session_id, path, seq, text) "
        "VALUES (?, ?, ?, ?)", (session_id, path, seq, text))
    return seq


async def _select_after(conn: aiosqlite.Connection, session_id: str, after: int,
                        limit: int) -> list[aiosqlite.Row]:
    cursor = await conn.execute(
        "SELECT path, seq, text FROM blackboard_files WHERE session_id = ? AND seq > ? "
        "ORDER BY seq LIMIT ?", (session_id, after, max(0, limit)))
    return list(await cursor.fetchall())
