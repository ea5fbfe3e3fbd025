"""The message bus in SQLite: an append-only table that readers follow by offset."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from taskqueue.messages import Body, Message
from taskqueue.sqlite.codec import encode_message, row_to_message
from taskqueue.sqlite.outbox import StoreDatabase, append_message


class Bus:
    """The store's bus methods (a part of `SqliteStore`)."""

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db

    async def publish(
        self, channel: str, body: Body | dict[str, Any], *, sender: str | None = None,
        kind: str | None = None,
    ) -> int:
        row = encode_message(channel, body, kind)
        return await self._db.write(
            lambda w: append_message(w.conn, w.now, sender or self._db.sender, row),
            quick=True)

    async def read(self, channels: Sequence[str], after: int, limit: int) -> list[Message]:
        if not channels:
            return []
        return await self._db.read(lambda conn: _read(conn, channels, after, limit))

    async def last_message_id(self) -> int:
        return await self._db.read(_last_id)

    async def prune(self, older_than_s: float) -> int:
        return await self._db.write(lambda w: _delete_before(w.conn, w.now - older_than_s))


def _read(
    conn: sqlite3.Connection, channels: Sequence[str], after: int, limit: int
) -> list[Message]:
    marks = ",".join("?" * len(channels))
    rows = conn.execute(
        f"SELECT id, time, channel, kind, sender, body FROM messages "
        f"WHERE id > ? AND channel IN ({marks}) ORDER BY id LIMIT ?",
        (after, *channels, limit),
    ).fetchall()
    return [row_to_message(row) for row in rows]


def _last_id(conn: sqlite3.Connection) -> int:
    # sqlite_sequence keeps the highest id ever given, even after pruning.
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'messages'").fetchone()
    return int(row[0]) if row else 0


def _delete_before(conn: sqlite3.Connection, before: float) -> int:
    cursor = conn.execute("DELETE FROM messages WHERE time < ?", (before,))
    return cursor.rowcount
