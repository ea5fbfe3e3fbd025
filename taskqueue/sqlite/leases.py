"""The store's leases (a part of `SqliteStore`): claiming tasks, and taking them back from
holders that let their lease expire or died."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from taskqueue.messages import TaskDead, TaskRequeued, TaskStarted, session_channel
from taskqueue.models import Task
from taskqueue.sqlite.codec import TASK_COLUMNS, row_to_task
from taskqueue.sqlite.dependencies import ids_json, settle_dependents
from taskqueue.sqlite.outbox import StoreDatabase, Write


class Leases:
    """Claiming ready tasks under a lease, and taking running tasks back."""

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db

    async def claim(
        self, worker_id: str, roles: Sequence[str], limit: int, *, lease_s: float,
        session_id: str | None,
    ) -> list[Task]:
        if limit < 1 or not roles:
            return []
        # Every commit wakes every idle worker; those that find nothing must not queue up
        # for the write lock to learn it.
        if not await self._db.read(
                lambda conn: _any_ready(conn, self._db.now(), roles, session_id), quick=True):
            return []
        return await self._db.write(
            lambda w: _claim(w, worker_id, roles, limit, lease_s, session_id), quick=True)

    async def requeue_expired(self) -> list[int]:
        def release_expired(w: Write) -> list[int]:
            return _release(w, _expired(w.conn, w.now), "lease expired")

        return await self._db.write(release_expired)

    async def release_worker(self, worker_id: str, reason: str) -> list[int]:
        def release_held(w: Write) -> list[int]:
            return _release(w, _held_by(w.conn, worker_id), reason)

        return await self._db.write(release_held)


def _ready_filter(roles: Sequence[str], session_id: str | None) -> str:
    """The condition on `tasks` that a claim takes: queued, of the roles, due."""
    marks = ",".join("?" * len(roles))
    session_filter = " AND session_id = ?" if session_id else ""
    return f"status = 'queued' AND role IN ({marks}) AND not_before <= ?{session_filter}"


def _any_ready(
    conn: sqlite3.Connection, now: float, roles: Sequence[str], session_id: str | None
) -> bool:
    """Whether `claim` would find a task: a read, which takes no write lock."""
    row = conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM tasks WHERE {_ready_filter(roles, session_id)})",
        [*roles, now, *([session_id] if session_id else [])],
    ).fetchone()
    return bool(row and row[0])


def _claim(
    w: Write, worker_id: str, roles: Sequence[str], limit: int, lease_s: float,
    session_id: str | None,
) -> list[Task]:
    """Lease up to `limit` ready tasks: highest priority first, then oldest."""
    params: list[Any] = [worker_id, w.now + lease_s, w.now, *roles, w.now]
    if session_id:
        params.append(session_id)
    params.append(limit)
    rows = w.conn.execute(
        "UPDATE tasks SET status = 'running', attempt = attempt + 1, lease_owner = ?, "
        "lease_expires = ?, started_at = ?, progress = NULL, progress_note = NULL "
        f"WHERE id IN (SELECT id FROM tasks WHERE {_ready_filter(roles, session_id)} "
        f"ORDER BY priority DESC, id LIMIT ?) RETURNING {TASK_COLUMNS}",
        params,
    ).fetchall()
    claimed = [row_to_task(row) for row in rows]
    claimed.sort(key=lambda t: (-t.priority, t.id))
    for task in claimed:
        w.outbox.add(session_channel(task.session_id), TaskStarted(
            task_id=task.id, attempt=task.attempt, role=task.role, skill=task.skill,
            worker=worker_id))
    return claimed


def _expired(conn: sqlite3.Connection, now: float) -> list[Any]:
    return conn.execute(
        "SELECT id, session_id, attempt, max_attempts FROM tasks "
        "WHERE status = 'running' AND lease_expires < ? ORDER BY id",
        (now,),
    ).fetchall()


def _held_by(conn: sqlite3.Connection, worker_id: str) -> list[Any]:
    return conn.execute(
        "SELECT id, session_id, attempt, max_attempts FROM tasks "
        "WHERE status = 'running' AND lease_owner = ? ORDER BY id",
        (worker_id,),
    ).fetchall()


def _release(w: Write, rows: Sequence[Any], reason: str) -> list[int]:
    """Take running tasks (from `_expired` or `_held_by`) back from their holders, with
    the lost attempt counted.

    A task whose attempts are all used is dead-lettered: a task that keeps killing its
    workers must not kill them forever.
    """
    requeued = [r for r in rows if r["attempt"] < r["max_attempts"]]
    dead = [r for r in rows if r["attempt"] >= r["max_attempts"]]
    if requeued:
        w.conn.execute(
            "UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_expires = NULL, "
            "not_before = 0, error = ? WHERE id IN (SELECT value FROM json_each(?))",
            (reason, ids_json(r["id"] for r in requeued)),
        )
    if dead:
        w.conn.execute(
            "UPDATE tasks SET status = 'dead', lease_owner = NULL, lease_expires = NULL, "
            "finished_at = ?, error = ? WHERE id IN (SELECT value FROM json_each(?))",
            (w.now, f"{reason} on every attempt", ids_json(r["id"] for r in dead)),
        )
    for r in requeued:
        w.outbox.add(session_channel(r["session_id"]),
                     TaskRequeued(task_id=r["id"], attempt=r["attempt"], reason=reason))
    for r in dead:
        w.outbox.add(session_channel(r["session_id"]),
                     TaskDead(task_id=r["id"], attempt=r["attempt"],
                              error=f"{reason} on every attempt"))
    settle_dependents(w, [r["id"] for r in dead])
    return [r["id"] for r in rows]
