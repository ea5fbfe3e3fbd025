"""Blackboard files kept in the store (a part of `SqliteStore`), for workers on hosts
that share only the store: one row per path, its latest text under the next sequence."""

from __future__ import annotations

import sqlite3

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


def _put(w: Write, session_id: str, path: str, text: str) -> int | None:
    if w.conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
        return None
    row = w.conn.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM blackboard_files WHERE session_id = ?",
        (session_id,)).fetchone()
    assert row is not None
    seq = int(row[0])
    w.conn.execute(
        "INSERT OR REPLACE INTO blackboard_files (session_id, path, seq, text) "
        "VALUES (?, ?, ?, ?)", (session_id, path, seq, text))
    return seq


def _select_after(conn: sqlite3.Connection, session_id: str, after: int,
                  limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT path, seq, text FROM blackboard_files WHERE session_id = ? AND seq > ? "
        "ORDER BY seq LIMIT ?", (session_id, after, max(0, limit))).fetchall()
