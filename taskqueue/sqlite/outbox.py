"""The database as the store's parts use it: every write commits together with the bus
messages that report it, so the bus never disagrees with the queue."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

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

    conn: sqlite3.Connection
    now: float
    outbox: Outbox


Query = Callable[[sqlite3.Connection], T]
Change = Callable[[Write], T]


class StoreDatabase:
    """The one database every part of `SqliteStore` shares, with the wall clock (shared by
    every process) and this process's name on the bus."""

    def __init__(self, db: Database, *, clock: Clock, sender: str) -> None:
        self.db = db
        self.sender = sender
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    async def read(self, query: Query[T], *, quick: bool = False) -> T:
        """Run read-only statements, in one trip to the connection's thread (or, `quick`,
        on the loop: see `Database`)."""
        return await self.db.read(query, quick=quick)

    async def write(self, change: Change[T], *, quick: bool = False) -> T:
        """Run `change` in one write transaction (one trip to the connection's thread,
        retried whole while the database is locked, or, `quick`, on the loop: see
        `Database`) and append the messages it added to its outbox before the commit.
        `change` may run on that thread: it must not touch the event loop."""

        def transaction(conn: sqlite3.Connection) -> T:
            write = Write(conn, self._clock(), Outbox())
            result = change(write)
            append_messages(conn, write.now, self.sender, write.outbox.messages)
            return result

        return await self.db.write(transaction, quick=quick)


def append_messages(
    conn: sqlite3.Connection, now: float, sender: str, rows: list[EncodedMessage]
) -> None:
    """Append messages inside the caller's transaction."""
    if rows:
        conn.executemany(
            _INSERT_MESSAGE, [(now, channel, kind, sender, body) for channel, kind, body in rows]
        )


def append_message(
    conn: sqlite3.Connection, now: float, sender: str, row: EncodedMessage
) -> int:
    """Append one message inside the caller's transaction; returns its id."""
    channel, kind, body = row
    found = conn.execute(f"{_INSERT_MESSAGE} RETURNING id",
                         (now, channel, kind, sender, body)).fetchone()
    return int(found[0]) if found else 0
