"""The store's worker registry (a part of `SqliteStore`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from taskqueue.messages import WORKERS_CHANNEL, WorkerStarted
from taskqueue.models import WorkerBeat, WorkerInfo, WorkerStatus
from taskqueue.sqlite.codec import row_to_worker, to_json
from taskqueue.sqlite.outbox import StoreDatabase, Write

_LIVE = "SELECT * FROM workers WHERE status IN ('running', 'stopping') ORDER BY started_at, id"
_ALL = "SELECT * FROM workers ORDER BY started_at, id"


class Workers:
    """Registering workers, their heartbeats and status, and listing them."""

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db

    async def register(self, worker: WorkerInfo) -> None:
        await self._db.write(lambda w: _insert(w, worker))

    async def heartbeat(self, worker_id: str, beat: WorkerBeat, *, lease_s: float) -> int:
        return await self._db.write(lambda w: _beat(w, worker_id, beat, lease_s), quick=True)

    async def set_status(self, worker_id: str, status: WorkerStatus) -> None:
        await self._db.write(lambda w: _set_status(w.conn, worker_id, status))

    async def list_all(self, *, include_stopped: bool) -> list[WorkerInfo]:
        rows = await self._db.read(lambda conn: _select(conn, include_stopped))
        return [row_to_worker(row) for row in rows]


def _insert(w: Write, worker: WorkerInfo) -> None:
    w.conn.execute(
        "INSERT OR REPLACE INTO workers (id, role, pid, host, session_id, concurrency, "
        "status, started_at, heartbeat_at, running, rss_mb) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?)",
        (worker.id, worker.role, worker.pid, worker.host, worker.session_id,
         worker.concurrency, worker.status, w.now, w.now, worker.rss_mb),
    )
    w.outbox.add(WORKERS_CHANNEL, WorkerStarted(worker=worker.id, role=worker.role,
                                                pid=worker.pid))


def _beat(w: Write, worker_id: str, beat: WorkerBeat, lease_s: float) -> int:
    """Record the heartbeat and extend the worker's leases; the number extended."""
    w.conn.execute(
        "UPDATE workers SET heartbeat_at = ?, running = ?, rss_mb = ?, status = ? WHERE id = ?",
        (w.now, to_json(beat.running, "running"), beat.rss_mb, beat.status, worker_id),
    )
    cursor = w.conn.execute(
        "UPDATE tasks SET lease_expires = ? WHERE lease_owner = ? AND status = 'running'",
        (w.now + lease_s, worker_id),
    )
    return cursor.rowcount


def _set_status(conn: sqlite3.Connection, worker_id: str, status: WorkerStatus) -> None:
    conn.execute("UPDATE workers SET status = ? WHERE id = ?", (status, worker_id))


def _select(conn: sqlite3.Connection, include_stopped: bool) -> list[Any]:
    return conn.execute(_ALL if include_stopped else _LIVE).fetchall()
