"""Inserting a plan of tasks inside a write: checked whole, then written whole."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from enum import Enum
from typing import Any

from taskqueue.errors import DuplicateTaskKey, InvalidTask, UnknownSession
from taskqueue.messages import TaskQueued, session_channel
from taskqueue.models import NewTask, TaskStatus
from taskqueue.plan_graph import check_plan_graph
from taskqueue.sqlite.before import add_waiters, check_before
from taskqueue.sqlite.codec import to_json
from taskqueue.sqlite.dependencies import settle
from taskqueue.sqlite.outbox import Write


class _SessionColumn(Enum):
    """A column of `tasks` whose values a plan may name: the query finding those taken."""

    ID = "SELECT id FROM tasks WHERE session_id = ? AND id IN (SELECT value FROM json_each(?))"
    KEY = "SELECT key FROM tasks WHERE session_id = ? AND key IN (SELECT value FROM json_each(?))"


def insert_plan(w: Write, session_id: str, tasks: Sequence[NewTask]) -> list[int]:
    """Insert a batch atomically; `depends_on` holds batch keys or ids in the session,
    `before` ids in the session that wait for the new task."""
    if w.conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
        raise UnknownSession(f"no session {session_id!r}")
    check_plan_graph(tasks)
    _check_existing_deps(w.conn, session_id, tasks)
    _check_keys_are_new(w.conn, session_id, tasks)
    check_before(w.conn, session_id, tasks)

    first_id = _next_task_id(w.conn)
    ids_by_key = {t.key: first_id + i for i, t in enumerate(tasks) if t.key is not None}
    rows = [_task_row(w.now, session_id, task, index) for index, task in enumerate(tasks)]
    w.conn.executemany(
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
    w.conn.executemany(
        "INSERT OR IGNORE INTO task_deps (task_id, depends_on) VALUES (?, ?)", deps
    )
    add_waiters(w, session_id, ids, tasks)
    ready = [ids[i] for i, task in enumerate(tasks) if not task.depends_on]
    if ready:
        w.outbox.add(session_channel(session_id), TaskQueued(task_ids=ready))
    # Dependencies on existing tasks may already be finished.
    settle(w, sorted({task_id for task_id, _ in deps}))
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


def _next_task_id(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tasks'), 0), "
        "COALESCE((SELECT max(id) FROM tasks), 0))"
    ).fetchone()
    # Inside BEGIN IMMEDIATE no other writer runs, so the batch gets consecutive ids.
    return int(row[0] if row else 0) + 1


def _check_existing_deps(
    conn: sqlite3.Connection, session_id: str, tasks: Sequence[NewTask]
) -> None:
    ids = {dep for task in tasks for dep in task.depends_on if isinstance(dep, int)}
    missing = sorted(ids - _taken(conn, session_id, _SessionColumn.ID, ids))
    if missing:
        raise InvalidTask(f"depends_on: unknown task id(s) {missing} in session {session_id}")


def _check_keys_are_new(
    conn: sqlite3.Connection, session_id: str, tasks: Sequence[NewTask]
) -> None:
    keys = [task.key for task in tasks if task.key is not None]
    taken = sorted(_taken(conn, session_id, _SessionColumn.KEY, keys))
    if taken:
        raise DuplicateTaskKey(f"session {session_id} already has tasks with key(s) {taken}")


def _taken(
    conn: sqlite3.Connection, session_id: str, column: _SessionColumn,
    values: set[int] | list[str],
) -> set[Any]:
    """Which of `values` the session's tasks already have in `column`."""
    if not values:
        return set()
    rows = conn.execute(column.value, (session_id, json.dumps(list(values)))).fetchall()
    return {row[0] for row in rows}
