"""What every part of `SqliteStore` shares: the database, the clock, and writing a state
change together with the bus messages that report it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiosqlite

from taskqueue.sqlite import tasks
from taskqueue.sqlite.connection import Database

Clock = Callable[[], float]


class StoreBase:
    _db: Database
    _clock: Clock
    _sender: str

    async def _write_with_outbox(
        self, operation: Callable[[aiosqlite.Connection, float, tasks.Outbox], Any]
    ) -> Any:
        async def transaction(conn: aiosqlite.Connection) -> Any:
            now = self._clock()
            outbox: tasks.Outbox = []
            result = await operation(conn, now, outbox)
            await tasks.flush(conn, now, self._sender, outbox)
            return result

        return await self._db.write(transaction)
