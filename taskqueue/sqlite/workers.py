"""The store's worker registry (a part of `SqliteStore`)."""

from __future__ import annotations

from typing import Any

import aiosqlite

from taskqueue.messages import WORKERS_CHANNEL, WorkerStarted
from taskqueue.models import WorkerBeat, WorkerInfo, WorkerStatus
from taskqueue.sqlite import tasks
from taskqueue.sqlite.codec import row_to_worker, to_json
from taskqueue.sqlite.store_base import StoreBase


class WorkerMethods(StoreBase):

    async def register_worker(self, worker: WorkerInfo) -> None:
        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> None:
            await conn.execute(
                "INSERT OR REPLACE INTO workers (id, role, pid, host, session_id, concurrency, "
                "status, started_at, heartbeat_at, running, rss_mb) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?)",
                (worker.id, worker.role, worker.pid, worker.host, worker.session_id,
                 worker.concurrency, worker.status, now, now, worker.rss_mb),
            )
            outbox.append((WORKERS_CHANNEL,
                           WorkerStarted(worker=worker.id, role=worker.role, pid=worker.pid)))

        await self._write_with_outbox(op)

    async def heartbeat(self, worker_id: str, beat: WorkerBeat, *, lease_s: float) -> int:
        """Record a worker's heartbeat and extend its leases; returns the leases extended."""

        async def op(conn: aiosqlite.Connection) -> int:
            now = self._clock()
            await conn.execute(
                "UPDATE workers SET heartbeat_at = ?, running = ?, rss_mb = ?, status = ? "
                "WHERE id = ?",
                (now, to_json(beat.running, "running"), beat.rss_mb, beat.status, worker_id),
            )
            cursor = await conn.execute(
                "UPDATE tasks SET lease_expires = ? WHERE lease_owner = ? AND status = 'running'",
                (now + lease_s, worker_id),
            )
            return cursor.rowcount

        extended: int = await self._db.write(op)
        return extended

    async def set_worker_status(self, worker_id: str, status: WorkerStatus) -> None:
        async def op(conn: aiosqlite.Connection) -> None:
            await conn.execute("UPDATE workers SET status = ? WHERE id = ?", (status, worker_id))

        await self._db.write(op)

    async def list_workers(self, *, include_stopped: bool = False) -> list[WorkerInfo]:
        where = "" if include_stopped else "WHERE status IN ('running', 'stopping')"

        async def op(conn: aiosqlite.Connection) -> list[Any]:
            cursor = await conn.execute(f"SELECT * FROM workers {where} ORDER BY started_at, id")
            return list(await cursor.fetchall())

        return [row_to_worker(row) for row in await self._db.read(op)]
