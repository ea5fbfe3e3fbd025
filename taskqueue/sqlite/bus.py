"""The message bus in SQLite: an append-only table that readers follow by offset."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

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
            lambda w: append_message(w.conn, w.now, sender or self._db.sender, row))

    async def read(self, channels: Sequence[str], after: int, limit: int) -> list[Message]:
        if not channels:
            return []
        return await self._db.read(lambda conn: _read(conn, channels, after, limit))

    async def last_message_id(self) -> int:
        return await self._db.read(_last_id)

    async def prune(self, older_than_s: float) -> int:
        return await self._db.write(lambda w: _delete_before(w.conn, w.now - older_than_s))


async def _read(
    conn: aiosqlite.Connection, channels: Sequence[str], after: int, limit: int
) -> list[Message]:
    marks = ",".join("?" * len(channels))
    rows = await conn.execute_fetchall(
        f"SELECT id, time, channel, kind, sender, body FROM messages "
        f"WHERE id > ? AND channel IN ({marks}) ORDER BY id LIMIT ?",
        (after, *channels, limit),
    )
    return [row_to_message(row) for row in rows]


async def _last_id(conn: aiosqlite.Connection) -> int:
    # sqlite_sequence keeps the highest id ever given, even after pruning.
    cursor = await conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'messages'")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _delete_before(conn: aiosqlite.Connection, before: float) -> int:
    cursor = await conn.execute("DELETE FROM messages WHERE time < ?", (before,))
    return cursor.rowcount
