"""`NewTask.before` inside a write: tasks already in the session that wait for a new one.

Checked before anything is written (each named task is of the session and not started,
and waiting for the new task closes no cycle), applied after the new tasks are inserted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from taskqueue.errors import InvalidTask
from taskqueue.messages import TaskBlocked, session_channel
from taskqueue.models import NewTask
from taskqueue.plan_graph import existing_reach
from taskqueue.sqlite.dependencies import ids_json
from taskqueue.sqlite.outbox import Write

# Every task that `start` ids depend on, directly or down the chain.
_ANCESTORS = (
    "WITH RECURSIVE up(id) AS (SELECT value FROM json_each(?) "
    "UNION SELECT d.depends_on FROM task_deps d JOIN up ON d.task_id = up.id) "
    "SELECT id FROM up"
)


def check_before(
    conn: sqlite3.Connection, session_id: str, tasks: Sequence[NewTask]
) -> None:
    """Refuse `before` ids that are unknown, started or ended, or that the new task
    itself waits for (a cycle)."""
    wanted = sorted({i for task in tasks for i in task.before})
    if not wanted:
        return
    rows = conn.execute(
        "SELECT id, status FROM tasks WHERE session_id = ? "
        "AND id IN (SELECT value FROM json_each(?))", (session_id, ids_json(wanted)),
    ).fetchall()
    status = {row[0]: row[1] for row in rows}
    missing = [i for i in wanted if i not in status]
    if missing:
        raise InvalidTask(f"before: unknown task id(s) {missing} in session {session_id}")
    started = [i for i in wanted if status[i] not in ("queued", "blocked")]
    if started:
        raise InvalidTask(f"before: task(s) {started} already started or ended; only "
                          "queued or blocked tasks can wait for a new task")
    for index, (task, reach) in enumerate(zip(tasks, existing_reach(tasks), strict=True)):
        if not task.before:
            continue
        ancestors = {row[0] for row in conn.execute(
            _ANCESTORS, (ids_json(sorted(reach)),)).fetchall()}
        closing = sorted(ancestors & set(task.before))
        if closing:
            label = repr(task.key) if task.key is not None else f"#{index}"
            raise InvalidTask(f"task {label}: before {closing} would be a dependency cycle: "
                              "the task already waits for them")


def add_waiters(w: Write, session_id: str, ids: Sequence[int],
                tasks: Sequence[NewTask]) -> None:
    """Make each task's `before` tasks wait for it; the queued ones go back to blocked."""
    edges = [(waiter, new_id) for new_id, task in zip(ids, tasks, strict=True)
             for waiter in task.before]
    if not edges:
        return
    w.conn.executemany(
        "INSERT OR IGNORE INTO task_deps (task_id, depends_on) VALUES (?, ?)", edges)
    waiters = sorted({waiter for waiter, _ in edges})
    rows = w.conn.execute(
        "UPDATE tasks SET status = 'blocked' WHERE status = 'queued' "
        "AND id IN (SELECT value FROM json_each(?)) RETURNING id", (ids_json(waiters),),
    ).fetchall()
    blocked = sorted(row[0] for row in rows)
    if blocked:
        w.outbox.add(session_channel(session_id), TaskBlocked(
            task_ids=blocked, reason="waits for a task enqueued after it"))
