"""The message bus in SQLite: an append-only table that readers follow by offset."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiosqlite

from taskqueue.messages import Body, Message
from taskqueue.sqlite.codec import to_json

Outgoing = tuple[str, Body]


def encode(channel: str, body: Body | dict[str, Any], kind: str | None) -> tuple[str, str, str]:
    """(channel, kind, JSON body) for a typed body, or a plain dict with its kind."""
    if isinstance(body, Body):
        return channel, body.kind, body.model_dump_json()
    if not kind:
        raise ValueError("a message with a plain dict body needs a kind")
    return channel, kind, to_json(body, "body")


async def insert(
    conn: aiosqlite.Connection, now: float, sender: str, rows: Sequence[tuple[str, str, str]]
) -> None:
    """Append messages inside the caller's transaction."""
    if rows:
        await conn.executemany(
            "INSERT INTO messages (time, channel, kind, sender, body) VALUES (?, ?, ?, ?, ?)",
            [(now, channel, kind, sender, body) for channel, kind, body in rows],
        )


async def insert_one(
    conn: aiosqlite.Connection, now: float, sender: str, row: tuple[str, str, str]
) -> int:
    """Append one message; returns its id."""
    cursor = await conn.execute(
        "INSERT INTO messages (time, channel, kind, sender, body) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id",
        (now, *row[:2], sender, row[2]),
    )
    found = await cursor.fetchone()
    return int(found[0]) if found else 0


async def insert_bodies(
    conn: aiosqlite.Connection, now: float, sender: str, outgoing: Sequence[Outgoing]
) -> None:
    await insert(conn, now, sender, [encode(channel, body, None) for channel, body in outgoing])


async def read(
    conn: aiosqlite.Connection, channels: Sequence[str], after: int, limit: int
) -> list[Message]:
    marks = ",".join("?" * len(channels))
    rows = await conn.execute_fetchall(
        f"SELECT id, time, channel, kind, sender, body FROM messages "
        f"WHERE id > ? AND channel IN ({marks}) ORDER BY id LIMIT ?",
        (after, *channels, limit),
    )
    return [
        Message(
            id=row["id"],
            time=row["time"],
            channel=row["channel"],
            kind=row["kind"],
            sender=row["sender"],
            body=json.loads(row["body"]),
        )
        for row in rows
    ]


async def last_id(conn: aiosqlite.Connection) -> int:
    # sqlite_sequence keeps the highest id ever given, even after pruning.
    cursor = await conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'messages'")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def prune(conn: aiosqlite.Connection, before: float) -> int:
    cursor = await conn.execute("DELETE FROM messages WHERE time < ?", (before,))
    return cursor.rowcount
