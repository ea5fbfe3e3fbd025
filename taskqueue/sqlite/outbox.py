"""The database as the store's parts use it: every write commits together with the bus
messages that report it, so the bus never disagrees with the queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import aiosqlite

from taskqueue.messages import Body
from taskqueue.sqlite.codec import EncodedMessage, encode_message
from taskqueue.sqlite.connection import Database

T = TypeVar("T")
Clock = Callable[[], float]

_INSERT_MESSAGE = (
    "INSERT INTO messages (time, channel, kind, sender, body) VALUES (?, ?, ?, ?, ?)"
)


@dataclass(slots=True)
class Outbox:
    """The bus messages a write reports, appended to the bus by the same transaction."""

    messages: list[EncodedMessage] = field(default_factory=list)

    def add(self, channel: str, body: Body) -> None:
        self.messages.append(encode_message(channel, body))

    def add_encoded(self, channel: str, kind: str, body_json: str) -> None:
        """A message encoded before the transaction (a caller's plain dict), now placed."""
        self.messages.append((channel, kind, body_json))


@dataclass(frozen=True, slots=True)
class Write:
    """One write transaction: its connection, the time it runs at, and its outbox."""

    conn: aiosqlite.Connection
    now: float
    outbox: Outbox


Query = Callable[[aiosqlite.Connection], Awaitable[T]]
Change = Callable[[Write], Awaitable[T]]


class StoreDatabase:
    """The one database every part of `SqliteStore` shares, with the wall clock (shared by
    every process) and this process's name on the bus."""

    def __init__(self, db: Database, *, clock: Clock, sender: str) -> None:
        self.db = db
        self.sender = sender
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    async def read(self, query: Query[T]) -> T:
        """Run read-only statements."""
        return await self.db.read(query)

    async def write(self, change: Change[T]) -> T:
        """Run `change` in one write transaction (retried whole while the database is
        locked) and append the messages it added to its outbox before the commit."""

        async def transaction(conn: aiosqlite.Connection) -> T:
            write = Write(conn, self._clock(), Outbox())
            result = await change(write)
            await append_messages(conn, write.now, self.sender, write.outbox.messages)
            return result

        return await self.db.write(transaction)


async def append_messages(
    conn: aiosqlite.Connection, now: float, sender: str, rows: list[EncodedMessage]
) -> None:
    """Append messages inside the caller's transaction."""
    if rows:
        await conn.executemany(
            _INSERT_MESSAGE, [(now, channel, kind, sender, body) for channel, kind, body in rows]
        )


async def append_message(
    conn: aiosqlite.Connection, now: float, sender: str, row: EncodedMessage
) -> int:
    """Append one message inside the caller's transaction; returns its id."""
    channel, kind, body = row
    cursor = await conn.execute(f"{_INSERT_MESSAGE} RETURNING id",
                                (now, channel, kind, sender, body))
    found = await cursor.fetchone()
    return int(found[0]) if found else 0
