"""Task operations, each run inside the caller's write transaction.

Every state change also appends the bus messages that report it, in the same
transaction, so the bus never disagrees with the queue.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from taskqueue.errors import DuplicateTaskKey, InvalidTask, UnknownSession
from taskqueue.messages import (
    Body,
    TaskCancelled,
    TaskDead,
    TaskDone,
    TaskFailed,
    TaskQueued,
    TaskRequeued,
    TaskStarted,
    session_channel,
)
from taskqueue.models import HUMAN_ROLE, Completion, NewTask, Task, TaskStatus
from taskqueue.plan_graph import check_plan_graph
from taskqueue.sqlite import bus
from taskqueue.sqlite.codec import TASK_COLUMNS, row_to_task, to_json

Outbox = list[tuple[str, Body]]

_UNSUCCESSFUL = "('failed', 'dead', 'cancelled')"
_TERMINAL = "('done', 'failed', 'dead', 'cancelled')"


def _ids_json(ids: Iterable[int]) -> str:
    return json.dumps(list(ids))


async def enqueue_plan(
    conn: aiosqlite.Connection, now: float, session_id: str, tasks: Sequence[NewTask],
    outbox: Outbox,
) -> list[int]:
    """Insert a batch atomically; `depends_on` holds batch keys or ids in the session."""
    cursor = await conn.execute("SELECT status FROM sessions WHERE id = ?", (session_id,))
    if await cursor.fetchone() is None:
        raise UnknownSession(f"no session {session_id!r}")
    check_plan_graph(tasks)
    existing = {dep for task in tasks for dep in task.depends_on if isinstance(dep, int)}
    await _check_existing_deps(conn, session_id, existing)
    await _check_keys_are_new(conn, session_id, [t.key for t in tasks if t.key is not None])

    first_id = await _next_task_id(conn)
    ids_by_key = {t.key: first_id + i for i, t in enumerate(tasks) if t.key is not None}
    rows = [_task_row(now, session_id, task, index) for index, task in enumerate(tasks)]
    await conn.executemany(
        "INSERT INTO tasks (session_id, key, role, skill, title, input, priority, status, "
        "max_attempts, timeout_s, not_before, run_on_partial, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    ids = list(range(first_id, first_id + len(tasks)))
    deps = [
        (ids[i], ids_by_key[dep] if isinstance(dep, str) else dep)
        for i, task in enumerate(tasks)
        for dep in task.depends_on
    ]
    await conn.executemany(
        "INSERT OR IGNORE INTO task_deps (task_id, depends_on) VALUES (?, ?)", deps
    )
    ready = [ids[i] for i, task in enumerate(tasks) if not task.depends_on]
    if ready:
        outbox.append((session_channel(session_id), TaskQueued(task_ids=ready)))
    # Dependencies on existing tasks may already be finished.
    await settle(conn, now, sorted({task_id for task_id, _ in deps}), outbox)
    return ids


def _task_row(now: float, session_id: str, task: NewTask, index: int) -> tuple[Any, ...]:
    label = f"task {task.key or index}"
    if task.not_before is not None and math.isnan(task.not_before):
        # SQLite stores NaN as NULL, which would surface as a constraint error.
        raise InvalidTask(f"{label}: not_before is not a number")
    return (
        session_id, task.key, task.role, task.skill, task.title,
        to_json(task.input, f"{label}: input"), task.priority,
        TaskStatus.BLOCKED if task.depends_on else TaskStatus.QUEUED,
        task.max_attempts, task.timeout_s, task.not_before or 0.0,
        int(task.run_on_partial), now,
    )


async def _next_task_id(conn: aiosqlite.Connection) -> int:
    cursor = await conn.execute(
        "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tasks'), 0), "
        "COALESCE((SELECT max(id) FROM tasks), 0))"
    )
    row = await cursor.fetchone()
    # Inside BEGIN IMMEDIATE no other writer runs, so the batch gets consecutive ids.
    return int(row[0] if row else 0) + 1


async def _check_existing_deps(
    conn: aiosqlite.Connection, session_id: str, ids: set[int]
) -> None:
    if not ids:
        return
    cursor = await conn.execute(
        "SELECT id FROM tasks WHERE session_id = ? AND id IN (SELECT value FROM json_each(?))",
        (session_id, _ids_json(ids)),
    )
    found = {row[0] for row in await cursor.fetchall()}
    missing = sorted(ids - found)
    if missing:
        raise InvalidTask(f"depends_on: unknown task id(s) {missing} in session {session_id}")


async def _check_keys_are_new(
    conn: aiosqlite.Connection, session_id: str, keys: list[str]
) -> None:
    if not keys:
        return
    cursor = await conn.execute(
        "SELECT key FROM tasks WHERE session_id = ? AND key IN (SELECT value FROM json_each(?))",
        (session_id, json.dumps(keys)),
    )
    taken = sorted(row[0] for row in await cursor.fetchall())
    if taken:
        raise DuplicateTaskKey(f"session {session_id} already has tasks with key(s) {taken}")


async def any_ready(
    conn: aiosqlite.Connection, now: float, roles: Sequence[str], session_id: str | None
) -> bool:
    """Whether `claim` would find a task: a read, which takes no write lock."""
    marks = ",".join("?" * len(roles))
    session_filter = "AND session_id = ?" if session_id else ""
    cursor = await conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM tasks WHERE status = 'queued' AND role IN ({marks}) "
        f"AND not_before <= ? {session_filter})",
        [*roles, now, *([session_id] if session_id else [])],
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


async def claim(
    conn: aiosqlite.Connection, now: float, worker_id: str, roles: Sequence[str], limit: int,
    lease_s: float, session_id: str | None, outbox: Outbox,
) -> list[Task]:
    """Lease up to `limit` ready tasks: highest priority first, then oldest."""
    marks = ",".join("?" * len(roles))
    session_filter = "AND session_id = ?" if session_id else ""
    params: list[Any] = [worker_id, now + lease_s, now, *roles, now]
    if session_id:
        params.append(session_id)
    params.append(limit)
    rows = await conn.execute_fetchall(
        "UPDATE tasks SET status = 'running', attempt = attempt + 1, lease_owner = ?, "
        "lease_expires = ?, started_at = ?, progress = NULL, progress_note = NULL "
        "WHERE id IN (SELECT id FROM tasks WHERE status = 'queued' "
        f"AND role IN ({marks}) AND not_before <= ? {session_filter} "
        f"ORDER BY priority DESC, id LIMIT ?) RETURNING {TASK_COLUMNS}",
        params,
    )
    claimed = [row_to_task(row) for row in rows]
    claimed.sort(key=lambda t: (-t.priority, t.id))
    for task in claimed:
        outbox.append((
            session_channel(task.session_id),
            TaskStarted(task_id=task.id, attempt=task.attempt, role=task.role,
                        skill=task.skill, worker=worker_id),
        ))
    return claimed


async def complete_many(
    conn: aiosqlite.Connection, now: float, completions: Sequence[Completion], outbox: Outbox
) -> list[bool]:
    """Mark attempts done, fenced by (task, attempt); release their dependents."""
    batch = [[c.task_id, c.attempt, to_json(c.result, f"task {c.task_id}: result")]
             for c in completions]
    rows = await conn.execute_fetchall(
        "WITH c(id, attempt, result) AS (SELECT json_extract(value, '$[0]'), "
        "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)) "
        "UPDATE tasks SET status = 'done', finished_at = ?, progress = 1.0, "
        "lease_owner = NULL, lease_expires = NULL, error = NULL, "
        # Matched on the attempt too: a stale completion in the same batch has the same id.
        "result = (SELECT c.result FROM c WHERE c.id = tasks.id AND c.attempt = tasks.attempt) "
        "WHERE status = 'running' AND (id, attempt) IN (SELECT id, attempt FROM c) "
        "RETURNING id, session_id, attempt",
        (json.dumps(batch), now),
    )
    done = {(row["id"], row["attempt"]): row["session_id"] for row in rows}
    for (task_id, attempt), session_id in sorted(done.items()):
        outbox.append((session_channel(session_id), TaskDone(task_id=task_id, attempt=attempt)))
    await settle(conn, now, await dependents_of(conn, [task_id for task_id, _ in done]), outbox)
    # A repeated completion of one attempt counts once, as if the batch ran one by one.
    first: set[tuple[int, int]] = set()
    outcome = []
    for c in completions:
        outcome.append((c.task_id, c.attempt) in done and (c.task_id, c.attempt) not in first)
        first.add((c.task_id, c.attempt))
    return outcome


async def dependents_of(conn: aiosqlite.Connection, ended: Sequence[int]) -> list[int]:
    if not ended:
        return []
    rows = await conn.execute_fetchall(
        "SELECT DISTINCT task_id FROM task_deps "
        "WHERE depends_on IN (SELECT value FROM json_each(?))",
        (_ids_json(ended),),
    )
    return [row[0] for row in rows]


async def settle(
    conn: aiosqlite.Connection, now: float, candidates: Sequence[int], outbox: Outbox
) -> None:
    """Decide blocked tasks whose dependencies changed, cascading through the graph.

    All dependencies finished → queued, if all succeeded or the task runs on partial
    input. Any dependency unsuccessful and the task does not run on partial input →
    cancelled, and its own dependents are decided in turn.
    """
    while candidates:
        rows = await conn.execute_fetchall(
            "SELECT t.id, t.session_id, t.run_on_partial, "
            f"SUM(dep.status NOT IN {_TERMINAL}) AS open, "
            f"SUM(dep.status IN {_UNSUCCESSFUL}) AS bad "
            "FROM tasks t JOIN task_deps d ON d.task_id = t.id "
            "JOIN tasks dep ON dep.id = d.depends_on "
            "WHERE t.status = 'blocked' AND t.id IN (SELECT value FROM json_each(?)) "
            "GROUP BY t.id ORDER BY t.id",
            (_ids_json(candidates),),
        )
        ready = [r for r in rows if r["open"] == 0 and (r["bad"] == 0 or r["run_on_partial"])]
        doomed = [r for r in rows if r["bad"] > 0 and not r["run_on_partial"]]
        if ready:
            await conn.execute(
                "UPDATE tasks SET status = 'queued' "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (_ids_json(r["id"] for r in ready),),
            )
            for session_id, ids in _by_session(ready).items():
                outbox.append((session_channel(session_id),
                               TaskQueued(task_ids=ids, reason="dependencies finished")))
        if doomed:
            await _set_cancelled(conn, now, [r["id"] for r in doomed], "a dependency failed")
            for session_id, ids in _by_session(doomed).items():
                outbox.append((session_channel(session_id),
                               TaskCancelled(task_ids=ids, reason="a dependency failed")))
        candidates = await dependents_of(conn, [r["id"] for r in doomed])


def _by_session(rows: Iterable[Any]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        grouped[row["session_id"]].append(row["id"])
    return grouped


async def _set_cancelled(
    conn: aiosqlite.Connection, now: float, ids: Sequence[int], reason: str
) -> None:
    await conn.execute(
        "UPDATE tasks SET status = 'cancelled', error = ?, finished_at = ?, "
        "lease_owner = NULL, lease_expires = NULL "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (reason, now, _ids_json(ids)),
    )


async def end_attempt(
    conn: aiosqlite.Connection, now: float, task_id: int, attempt: int, error: str,
    retry_at: float | None, outbox: Outbox,
) -> TaskStatus | None:
    """Fail one running attempt: back to queued at `retry_at`, or failed/dead for good.

    Returns the new status, or None when the attempt no longer holds the task (fenced).
    `retry_at` None means no retry: failed for good when attempts are left (the skill
    refused the input), dead when every attempt was used.
    """
    cursor = await conn.execute(
        "SELECT session_id, attempt, max_attempts FROM tasks "
        "WHERE id = ? AND attempt = ? AND status = 'running'",
        (task_id, attempt),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    exhausted = row["attempt"] >= row["max_attempts"]
    if retry_at is not None and not exhausted:
        status = TaskStatus.QUEUED
    else:
        status = TaskStatus.DEAD if exhausted else TaskStatus.FAILED
    await conn.execute(
        "UPDATE tasks SET status = ?, error = ?, not_before = ?, lease_owner = NULL, "
        "lease_expires = NULL, finished_at = ? WHERE id = ?",
        (status, error, retry_at if status is TaskStatus.QUEUED else 0.0,
         None if status is TaskStatus.QUEUED else now, task_id),
    )
    channel = session_channel(row["session_id"])
    if status is TaskStatus.DEAD:
        outbox.append((channel, TaskDead(task_id=task_id, attempt=attempt, error=error)))
    else:
        outbox.append((channel, TaskFailed(
            task_id=task_id, attempt=attempt, error=error,
            retry_at=retry_at if status is TaskStatus.QUEUED else None,
            final=status is TaskStatus.FAILED,
        )))
    if status is not TaskStatus.QUEUED:
        await settle(conn, now, await dependents_of(conn, [task_id]), outbox)
    return status


async def release_leases(
    conn: aiosqlite.Connection, now: float, where: str, params: Sequence[Any], reason: str,
    outbox: Outbox,
) -> list[int]:
    """Take running tasks back from their holders, with the lost attempt counted.

    A task whose attempts are all used is dead-lettered: a task that keeps killing its
    workers must not kill them forever.
    """
    cursor = await conn.execute(
        f"SELECT id, session_id, attempt, max_attempts FROM tasks "
        f"WHERE status = 'running' AND {where} ORDER BY id",
        params,
    )
    rows = await cursor.fetchall()
    requeued = [r for r in rows if r["attempt"] < r["max_attempts"]]
    dead = [r for r in rows if r["attempt"] >= r["max_attempts"]]
    if requeued:
        await conn.execute(
            "UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_expires = NULL, "
            "not_before = 0, error = ? WHERE id IN (SELECT value FROM json_each(?))",
            (reason, _ids_json(r["id"] for r in requeued)),
        )
    if dead:
        await conn.execute(
            "UPDATE tasks SET status = 'dead', lease_owner = NULL, lease_expires = NULL, "
            "finished_at = ?, error = ? WHERE id IN (SELECT value FROM json_each(?))",
            (now, f"{reason} on every attempt", _ids_json(r["id"] for r in dead)),
        )
    for r in requeued:
        outbox.append((session_channel(r["session_id"]),
                       TaskRequeued(task_id=r["id"], attempt=r["attempt"], reason=reason)))
    for r in dead:
        outbox.append((session_channel(r["session_id"]),
                       TaskDead(task_id=r["id"], attempt=r["attempt"],
                                error=f"{reason} on every attempt")))
    await settle(conn, now, await dependents_of(conn, [r["id"] for r in dead]), outbox)
    return [r["id"] for r in rows]


async def cancel(
    conn: aiosqlite.Connection, now: float, where: str, params: Sequence[Any], reason: str,
    outbox: Outbox,
) -> list[int]:
    """Cancel every unfinished task matching `where`; dependents are decided as usual."""
    cursor = await conn.execute(
        f"SELECT id, session_id FROM tasks WHERE status NOT IN {_TERMINAL} AND {where} "
        "ORDER BY id",
        params,
    )
    rows = await cursor.fetchall()
    if not rows:
        return []
    await _set_cancelled(conn, now, [r["id"] for r in rows], reason)
    for session_id, ids in _by_session(rows).items():
        outbox.append((session_channel(session_id), TaskCancelled(task_ids=ids, reason=reason)))
    await settle(conn, now, await dependents_of(conn, [r["id"] for r in rows]), outbox)
    return [r["id"] for r in rows]


async def answer(
    conn: aiosqlite.Connection, now: float, task_id: int, result_json: str, outbox: Outbox
) -> bool:
    """Complete a queued human task with a person's answer; release its dependents.

    No lease: nobody claims a human task. Fenced like a completion, by its state: a task
    already answered, cancelled or still blocked is left alone.
    """
    cursor = await conn.execute(
        "UPDATE tasks SET status = 'done', attempt = attempt + 1, started_at = ?, "
        "finished_at = ?, progress = 1.0, error = NULL, result = ? "
        "WHERE id = ? AND status = 'queued' AND role = ? RETURNING session_id, attempt, skill",
        (now, now, result_json, task_id, HUMAN_ROLE),
    )
    row = await cursor.fetchone()
    if row is None:
        return False
    channel = session_channel(row["session_id"])
    # Started and done together, so that replaying the bus counts the attempt.
    outbox.append((channel, TaskStarted(task_id=task_id, attempt=row["attempt"],
                                        role=HUMAN_ROLE, skill=row["skill"], worker=HUMAN_ROLE)))
    outbox.append((channel, TaskDone(task_id=task_id, attempt=row["attempt"])))
    await settle(conn, now, await dependents_of(conn, [task_id]), outbox)
    return True


async def flush(conn: aiosqlite.Connection, now: float, sender: str, outbox: Outbox) -> None:
    await bus.insert_bodies(conn, now, sender, outbox)
