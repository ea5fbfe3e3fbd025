"""The store's tasks (a part of `SqliteStore`): enqueueing, reading and ending them.

Every state change also reports itself on the bus, in the same transaction. Leases (claim
and taking tasks back) are in `leases.py`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from taskqueue.errors import UnknownTask
from taskqueue.messages import (
    TaskDead,
    TaskDone,
    TaskFailed,
    TaskProgress,
    TaskStarted,
    session_channel,
)
from taskqueue.models import HUMAN_ROLE, Completion, NewTask, StatusCount, Task, TaskStatus
from taskqueue.retry import RetryPolicy
from taskqueue.sqlite.codec import TASK_COLUMNS, EncodedMessage, row_to_task, to_json
from taskqueue.sqlite.dependencies import (
    cancel_unfinished,
    settle_dependents,
    unfinished_task,
)
from taskqueue.sqlite.enqueue import insert_plan
from taskqueue.sqlite.outbox import StoreDatabase, Write

# A plan this small (a follow-up, a chase, a spawned task) is a quick call (see
# `Database`): its transaction takes about as long as one task's.
QUICK_PLAN_TASKS = 8

_COUNTS = (
    "SELECT session_id, role, status, count(*) AS n FROM tasks "
    "GROUP BY session_id, role, status ORDER BY session_id, role, status"
)
_COUNTS_OF_SESSION = (
    "SELECT session_id, role, status, count(*) AS n FROM tasks WHERE session_id = ? "
    "GROUP BY session_id, role, status ORDER BY session_id, role, status"
)


class Tasks:
    """Enqueueing, completing, failing, cancelling, answering and reading tasks.

    `retry` and `rng` (its jitter) decide when a failed attempt runs again.
    """

    def __init__(self, db: StoreDatabase, *, retry: RetryPolicy,
                 rng: Callable[[], float]) -> None:
        self._db = db
        self._retry = retry
        self._rng = rng

    async def enqueue_plan(self, session_id: str, tasks: Sequence[NewTask]) -> list[int]:
        if not tasks:
            return []
        return await self._db.write(lambda w: insert_plan(w, session_id, tasks),
                                    quick=len(tasks) <= QUICK_PLAN_TASKS)

    async def complete_many(self, completions: Sequence[Completion]) -> list[bool]:
        if not completions:
            return []
        return await self._db.write(lambda w: _complete_many(w, completions), quick=True)

    async def fail(
        self, task_id: int, attempt: int, error: str, *, retry: bool, retry_in: float | None
    ) -> TaskStatus | None:
        def retry_at(now: float) -> float | None:
            delay = retry_in if retry_in is not None else self._retry.delay(attempt, self._rng())
            return now + delay if retry else None

        return await self._db.write(
            lambda w: _end_attempt(w, task_id, attempt, error, retry_at(w.now)), quick=True)

    async def save_checkpoint(self, task_id: int, attempt: int, state: Any) -> bool:
        state_json = to_json(state, f"task {task_id}: checkpoint")
        return await self._db.write(
            lambda w: _set_checkpoint(w.conn, task_id, attempt, state_json))

    async def report_progress(
        self, task_id: int, attempt: int, fraction: float, note: str,
        also: EncodedMessage | None = None,
    ) -> bool:
        """`Store.report_progress`; `also` is the message published with it (its channel
        left blank: the task's session channel is known inside the transaction)."""
        fraction = min(1.0, max(0.0, fraction))
        return await self._db.write(
            lambda w: _set_progress(w, task_id, attempt, fraction, note, also), quick=True)

    async def cancel(self, task_id: int, reason: str) -> bool:
        def cancel_if_unfinished(w: Write) -> list[int]:
            return cancel_unfinished(w, unfinished_task(w.conn, task_id), reason)

        if await self._db.write(cancel_if_unfinished):
            return True
        await self.get(task_id)  # raises UnknownTask for a task that never was
        return False

    async def answer(self, task_id: int, result: Any) -> bool:
        result_json = to_json(result, f"task {task_id}: answer")
        if await self._db.write(lambda w: _answer(w, task_id, result_json)):
            return True
        await self.get(task_id)  # raises UnknownTask for a task that never was
        return False

    async def get(self, task_id: int) -> Task:
        task = await self._db.read(lambda conn: _select_one(conn, task_id))
        if task is None:
            raise UnknownTask(f"no task {task_id}")
        return task

    async def list_all(self, session_id: str) -> list[Task]:
        return await self._db.read(lambda conn: _select_of_session(conn, session_id))

    async def counts(self, session_id: str | None) -> list[StatusCount]:
        rows = await self._db.read(lambda conn: _count(conn, session_id))
        return [StatusCount(session_id=r[0], role=r[1], status=r[2], count=r[3]) for r in rows]


def _complete_many(w: Write, completions: Sequence[Completion]) -> list[bool]:
    """Mark attempts done, fenced by (task, attempt); release their dependents."""
    batch = [[c.task_id, c.attempt, to_json(c.result, f"task {c.task_id}: result")]
             for c in completions]
    rows = w.conn.execute(
        "WITH c(id, attempt, result) AS (SELECT json_extract(value, '$[0]'), "
        "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)) "
        "UPDATE tasks SET status = 'done', finished_at = ?, progress = 1.0, "
        "lease_owner = NULL, lease_expires = NULL, error = NULL, "
        # Matched on the attempt too: a stale completion in the same batch has the same id.
        "result = (SELECT c.result FROM c WHERE c.id = tasks.id AND c.attempt = tasks.attempt) "
        "WHERE status = 'running' AND (id, attempt) IN (SELECT id, attempt FROM c) "
        "RETURNING id, session_id, attempt",
        (json.dumps(batch), w.now),
    ).fetchall()
    done = {(row["id"], row["attempt"]): row["session_id"] for row in rows}
    for (task_id, attempt), session_id in sorted(done.items()):
        w.outbox.add(session_channel(session_id), TaskDone(task_id=task_id, attempt=attempt))
    settle_dependents(w, [task_id for task_id, _ in done])
    # A repeated completion of one attempt counts once, as if the batch ran one by one.
    first: set[tuple[int, int]] = set()
    outcome = []
    for c in completions:
        outcome.append((c.task_id, c.attempt) in done and (c.task_id, c.attempt) not in first)
        first.add((c.task_id, c.attempt))
    return outcome


def _end_attempt(
    w: Write, task_id: int, attempt: int, error: str, retry_at: float | None
) -> TaskStatus | None:
    """Fail one running attempt: back to queued at `retry_at`, or failed/dead for good.

    Returns the new status, or None when the attempt no longer holds the task (fenced).
    `retry_at` None means no retry: failed for good when attempts are left (the skill
    refused the input), dead when every attempt was used.
    """
    row = w.conn.execute(
        "SELECT session_id, attempt, max_attempts FROM tasks "
        "WHERE id = ? AND attempt = ? AND status = 'running'",
        (task_id, attempt),
    ).fetchone()
    if row is None:
        return None
    exhausted = row["attempt"] >= row["max_attempts"]
    if retry_at is not None and not exhausted:
        status = TaskStatus.QUEUED
    else:
        status = TaskStatus.DEAD if exhausted else TaskStatus.FAILED
    queued = status is TaskStatus.QUEUED
    w.conn.execute(
        "UPDATE tasks SET status = ?, error = ?, not_before = ?, lease_owner = NULL, "
        "lease_expires = NULL, finished_at = ? WHERE id = ?",
        (status, error, retry_at if queued else 0.0, None if queued else w.now, task_id),
    )
    if status is TaskStatus.DEAD:
        body: TaskDead | TaskFailed = TaskDead(task_id=task_id, attempt=attempt, error=error)
    else:
        body = TaskFailed(task_id=task_id, attempt=attempt, error=error,
                          retry_at=retry_at if queued else None,
                          final=status is TaskStatus.FAILED)
    w.outbox.add(session_channel(row["session_id"]), body)
    if not queued:
        settle_dependents(w, [task_id])
    return status


def _set_checkpoint(
    conn: sqlite3.Connection, task_id: int, attempt: int, state_json: str
) -> bool:
    cursor = conn.execute(
        "UPDATE tasks SET checkpoint = ? WHERE id = ? AND attempt = ? AND status = 'running'",
        (state_json, task_id, attempt),
    )
    return cursor.rowcount > 0


def _set_progress(
    w: Write, task_id: int, attempt: int, fraction: float, note: str,
    also: EncodedMessage | None,
) -> bool:
    # One statement for the update and its row: a step reports often.
    rows = w.conn.execute(
        "UPDATE tasks SET progress = ?, progress_note = ? "
        "WHERE id = ? AND attempt = ? AND status = 'running' RETURNING session_id",
        (fraction, note, task_id, attempt),
    ).fetchall()
    if not rows:
        return False
    [row] = rows
    w.outbox.add(session_channel(row[0]), TaskProgress(
        task_id=task_id, attempt=attempt, fraction=fraction, note=note))
    if also is not None:
        _, kind, body_json = also
        w.outbox.add_encoded(session_channel(row[0]), kind, body_json)
    return True


def _answer(w: Write, task_id: int, result_json: str) -> bool:
    """Complete a queued human task with a person's answer; release its dependents.

    No lease: nobody claims a human task. Fenced like a completion, by its state: a task
    already answered, cancelled or still blocked is left alone.
    """
    row = w.conn.execute(
        "UPDATE tasks SET status = 'done', attempt = attempt + 1, started_at = ?, "
        "finished_at = ?, progress = 1.0, error = NULL, result = ? "
        "WHERE id = ? AND status = 'queued' AND role = ? RETURNING session_id, attempt, skill",
        (w.now, w.now, result_json, task_id, HUMAN_ROLE),
    ).fetchone()
    if row is None:
        return False
    channel = session_channel(row["session_id"])
    # Started and done together, so that replaying the bus counts the attempt.
    w.outbox.add(channel, TaskStarted(task_id=task_id, attempt=row["attempt"],
                                      role=HUMAN_ROLE, skill=row["skill"], worker=HUMAN_ROLE))
    w.outbox.add(channel, TaskDone(task_id=task_id, attempt=row["attempt"]))
    settle_dependents(w, [task_id])
    return True


def _select_one(conn: sqlite3.Connection, task_id: int) -> Task | None:
    rows = conn.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchall()
    return next((row_to_task(row) for row in rows), None)


def _select_of_session(conn: sqlite3.Connection, session_id: str) -> list[Task]:
    rows = conn.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE session_id = ? ORDER BY id",
                        (session_id,)).fetchall()
    return [row_to_task(row) for row in rows]


def _count(conn: sqlite3.Connection, session_id: str | None) -> list[Any]:
    if session_id:
        return conn.execute(_COUNTS_OF_SESSION, (session_id,)).fetchall()
    return conn.execute(_COUNTS).fetchall()
