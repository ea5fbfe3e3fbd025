"""`SqliteStore`: the storage protocol on one SQLite file (WAL) through aiosqlite."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from taskqueue.errors import UnknownTask
from taskqueue.messages import (
    Body,
    Message,
    SessionFinished,
    TaskProgress,
    session_channel,
)
from taskqueue.models import (
    Completion,
    NewTask,
    SessionStatus,
    StatusCount,
    Task,
    TaskStatus,
)
from taskqueue.retry import RetryPolicy
from taskqueue.sqlite import bus, tasks
from taskqueue.sqlite.codec import TASK_COLUMNS, row_to_task, to_json
from taskqueue.sqlite.connection import Database
from taskqueue.sqlite.llm_limits import LLMLimits
from taskqueue.sqlite.news import News
from taskqueue.sqlite.sessions import SessionMethods
from taskqueue.sqlite.store_base import Clock
from taskqueue.sqlite.workers import WorkerMethods


class SqliteStore(SessionMethods, WorkerMethods, LLMLimits):
    """The queue and the bus in one SQLite database.

    `clock` (wall time, shared by every process) and `rng` (backoff jitter) are parameters
    so tests can fake them. `sender` names this process on the bus.
    """

    def __init__(
        self, db: Database, *, sender: str, clock: Clock, retry: RetryPolicy,
        rng: Callable[[], float],
    ) -> None:
        self._db = db
        self._sender = sender
        self._clock = clock
        self._retry = retry
        self._rng = rng
        self._news = News(db.path)
        db.after_commit = self._news.notify

    @classmethod
    async def open(
        cls, path: Path | str, *, sender: str = "swarm", clock: Clock = time.time,
        retry: RetryPolicy | None = None, rng: Callable[[], float] = random.random,
    ) -> SqliteStore:
        db = await Database.open(Path(path))
        return cls(db, sender=sender, clock=clock, retry=retry or RetryPolicy(), rng=rng)

    @property
    def path(self) -> Path:
        return self._db.path

    async def __aenter__(self) -> SqliteStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._news.close()
        await self._db.close()

    # tasks

    async def enqueue(self, session_id: str, task: NewTask) -> int:
        return (await self.enqueue_plan(session_id, [task]))[0]

    async def enqueue_plan(self, session_id: str, new_tasks: Sequence[NewTask]) -> list[int]:
        if not new_tasks:
            return []

        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> list[int]:
            return await tasks.enqueue_plan(conn, now, session_id, new_tasks, outbox)

        ids: list[int] = await self._write_with_outbox(op)
        return ids

    async def claim(
        self, worker_id: str, roles: Sequence[str], limit: int = 1, *, lease_s: float,
        session_id: str | None = None,
    ) -> list[Task]:
        if limit < 1 or not roles:
            return []

        async def probe(conn: aiosqlite.Connection) -> bool:
            return await tasks.any_ready(conn, self._clock(), roles, session_id)

        # Every commit wakes every idle worker; those that find nothing must not queue up
        # for the write lock to learn it.
        if not await self._db.read(probe):
            return []

        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> list[Task]:
            return await tasks.claim(
                conn, now, worker_id, roles, limit, lease_s, session_id, outbox
            )

        claimed: list[Task] = await self._write_with_outbox(op)
        return claimed

    async def complete(self, task_id: int, attempt: int, result: Any = None) -> bool:
        return (await self.complete_many([Completion(task_id=task_id, attempt=attempt,
                                                     result=result)]))[0]

    async def complete_many(self, completions: Sequence[Completion]) -> list[bool]:
        if not completions:
            return []

        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> list[bool]:
            return await tasks.complete_many(conn, now, completions, outbox)

        done: list[bool] = await self._write_with_outbox(op)
        return done

    async def fail(
        self, task_id: int, attempt: int, error: str, *, retry: bool = True,
        retry_in: float | None = None,
    ) -> TaskStatus | None:
        """Fail an attempt: retried after a backoff (or `retry_in`), else failed for good."""

        async def op(
            conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox
        ) -> TaskStatus | None:
            delay = retry_in if retry_in is not None else self._retry.delay(attempt, self._rng())
            return await tasks.end_attempt(
                conn, now, task_id, attempt, error, now + delay if retry else None, outbox
            )

        status: TaskStatus | None = await self._write_with_outbox(op)
        return status

    async def save_checkpoint(self, task_id: int, attempt: int, state: Any) -> bool:
        state_json = to_json(state, f"task {task_id}: checkpoint")

        async def op(conn: aiosqlite.Connection) -> int:
            cursor = await conn.execute(
                "UPDATE tasks SET checkpoint = ? "
                "WHERE id = ? AND attempt = ? AND status = 'running'",
                (state_json, task_id, attempt),
            )
            return cursor.rowcount

        return bool(await self._db.write(op))

    async def report_progress(
        self, task_id: int, attempt: int, fraction: float, note: str = ""
    ) -> bool:
        fraction = min(1.0, max(0.0, fraction))

        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> bool:
            cursor = await conn.execute(
                "UPDATE tasks SET progress = ?, progress_note = ? "
                "WHERE id = ? AND attempt = ? AND status = 'running' RETURNING session_id",
                (fraction, note, task_id, attempt),
            )
            row = await cursor.fetchone()
            if row is None:
                return False
            outbox.append((session_channel(row[0]), TaskProgress(
                task_id=task_id, attempt=attempt, fraction=fraction, note=note)))
            return True

        return bool(await self._write_with_outbox(op))

    async def requeue_expired(self) -> list[int]:
        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> list[int]:
            return await tasks.release_leases(
                conn, now, "lease_expires < ?", (now,), "lease expired", outbox
            )

        requeued: list[int] = await self._write_with_outbox(op)
        return requeued

    async def release_worker(self, worker_id: str, reason: str) -> list[int]:
        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> list[int]:
            return await tasks.release_leases(
                conn, now, "lease_owner = ?", (worker_id,), reason, outbox
            )

        released: list[int] = await self._write_with_outbox(op)
        return released

    async def cancel_task(self, task_id: int, reason: str) -> bool:
        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> list[int]:
            return await tasks.cancel(conn, now, "id = ?", (task_id,), reason, outbox)

        if await self._write_with_outbox(op):
            return True
        await self.get_task(task_id)  # raises UnknownTask for a task that never was
        return False

    async def answer_task(self, task_id: int, result: Any = None) -> bool:
        """Complete a queued task of role `human` with `result`; False if it is not one
        (already answered, cancelled, blocked, or another role's task)."""
        result_json = to_json(result, f"task {task_id}: answer")

        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> bool:
            return await tasks.answer(conn, now, task_id, result_json, outbox)

        if await self._write_with_outbox(op):
            return True
        await self.get_task(task_id)  # raises UnknownTask for a task that never was
        return False

    async def cancel_session(self, session_id: str, reason: str) -> int:
        await self.get_session(session_id)

        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> list[int]:
            cancelled = await tasks.cancel(
                conn, now, "session_id = ?", (session_id,), reason, outbox
            )
            cursor = await conn.execute(
                "UPDATE sessions SET status = 'cancelled', finished_at = ? "
                "WHERE id = ? AND status = 'running'",
                (now, session_id),
            )
            if cursor.rowcount:
                outbox.append((session_channel(session_id), SessionFinished(
                    session_id=session_id, status=SessionStatus.CANCELLED)))
            return cancelled

        return len(await self._write_with_outbox(op))

    async def get_task(self, task_id: int) -> Task:
        async def op(conn: aiosqlite.Connection) -> Task | None:
            rows = await conn.execute_fetchall(
                f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,))
            return next((row_to_task(row) for row in rows), None)

        task = await self._db.read(op)
        if task is None:
            raise UnknownTask(f"no task {task_id}")
        return task

    async def list_tasks(self, session_id: str) -> list[Task]:
        async def op(conn: aiosqlite.Connection) -> list[Task]:
            rows = await conn.execute_fetchall(
                f"SELECT {TASK_COLUMNS} FROM tasks WHERE session_id = ? ORDER BY id",
                (session_id,))
            return [row_to_task(row) for row in rows]

        listed: list[Task] = await self._db.read(op)
        return listed

    async def counts(self, session_id: str | None = None) -> list[StatusCount]:
        where, params = ("WHERE session_id = ?", (session_id,)) if session_id else ("", ())

        async def op(conn: aiosqlite.Connection) -> list[Any]:
            cursor = await conn.execute(
                f"SELECT session_id, role, status, count(*) AS n FROM tasks {where} "
                "GROUP BY session_id, role, status ORDER BY session_id, role, status",
                params,
            )
            return list(await cursor.fetchall())

        return [StatusCount(session_id=r[0], role=r[1], status=r[2], count=r[3])
                for r in await self._db.read(op)]

    # the bus

    async def publish(
        self, channel: str, body: Body | dict[str, Any], *, sender: str | None = None,
        kind: str | None = None,
    ) -> int:
        row = bus.encode(channel, body, kind)

        async def op(conn: aiosqlite.Connection) -> int:
            return await bus.insert_one(conn, self._clock(), sender or self._sender, row)

        message_id: int = await self._db.write(op)
        return message_id

    async def read(
        self, channels: Sequence[str], after: int = 0, limit: int = 1000
    ) -> list[Message]:
        if not channels:
            return []

        async def op(conn: aiosqlite.Connection) -> list[Message]:
            return await bus.read(conn, channels, after, limit)

        messages: list[Message] = await self._db.read(op)
        return messages

    async def last_message_id(self) -> int:
        last: int = await self._db.read(bus.last_id)
        return last

    @property
    def news_version(self) -> int:
        return self._news.version

    async def wait_for_news(self, max_wait_s: float, after_version: int | None = None) -> bool:
        """Wait for any change to the database, by this process or another, or `max_wait_s`."""
        return await self._news.wait(max_wait_s, after_version)

    async def prune_messages(self, older_than_s: float) -> int:
        async def op(conn: aiosqlite.Connection) -> int:
            return await bus.prune(conn, self._clock() - older_than_s)

        pruned: int = await self._db.write(op)
        return pruned
