"""Deciding the tasks that wait on others, and cancelling: run inside a write.

A task ending (done, failed, dead, cancelled) decides the blocked tasks that depend on it,
and their decision may decide others in turn; each decision is reported on the bus.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from taskqueue.messages import TaskCancelled, TaskQueued, session_channel
from taskqueue.sqlite.outbox import Write

_UNSUCCESSFUL = "('failed', 'dead', 'cancelled')"
_TERMINAL = "('done', 'failed', 'dead', 'cancelled')"


def ids_json(ids: Iterable[int]) -> str:
    """Ids as one JSON parameter, for `IN (SELECT value FROM json_each(?))`."""
    return json.dumps(list(ids))


def dependents_of(conn: sqlite3.Connection, ended: Sequence[int]) -> list[int]:
    if not ended:
        return []
    rows = conn.execute(
        "SELECT DISTINCT task_id FROM task_deps "
        "WHERE depends_on IN (SELECT value FROM json_each(?))",
        (ids_json(ended),),
    ).fetchall()
    return [row[0] for row in rows]


def settle_dependents(w: Write, ended: Sequence[int]) -> None:
    """Decide the blocked tasks that depend on the tasks that just ended."""
    settle(w, dependents_of(w.conn, ended))


def settle(w: Write, candidates: Sequence[int]) -> None:
    """Decide blocked tasks whose dependencies changed, cascading through the graph.

    All dependencies finished → queued, if all succeeded or the task runs on partial
    input. Any dependency unsuccessful and the task does not run on partial input →
    cancelled, and its own dependents are decided in turn.
    """
    while candidates:
        rows = w.conn.execute(
            "SELECT t.id, t.session_id, t.run_on_partial, "
            f"SUM(dep.status NOT IN {_TERMINAL}) AS open, "
            f"SUM(dep.status IN {_UNSUCCESSFUL}) AS bad "
            "FROM tasks t JOIN task_deps d ON d.task_id = t.id "
            "JOIN tasks dep ON dep.id = d.depends_on "
            "WHERE t.status = 'blocked' AND t.id IN (SELECT value FROM json_each(?)) "
            "GROUP BY t.id ORDER BY t.id",
            (ids_json(candidates),),
        ).fetchall()
        ready = [r for r in rows if r["open"] == 0 and (r["bad"] == 0 or r["run_on_partial"])]
        doomed = [r for r in rows if r["bad"] > 0 and not r["run_on_partial"]]
        if ready:
            w.conn.execute(
                "UPDATE tasks SET status = 'queued' "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (ids_json(r["id"] for r in ready),),
            )
            for session_id, ids in by_session(ready).items():
                w.outbox.add(session_channel(session_id),
                             TaskQueued(task_ids=ids, reason="dependencies finished"))
        if doomed:
            _set_cancelled(w, doomed, "a dependency failed")
        candidates = dependents_of(w.conn, [r["id"] for r in doomed])


def by_session(rows: Iterable[Any]) -> dict[str, list[int]]:
    """The ids of rows (with `id` and `session_id`) grouped by session."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        grouped[row["session_id"]].append(row["id"])
    return grouped


def unfinished_task(conn: sqlite3.Connection, task_id: int) -> list[Any]:
    """The task as a one-row list if it has not ended, else an empty list."""
    return conn.execute(
        f"SELECT id, session_id FROM tasks WHERE status NOT IN {_TERMINAL} AND id = ?",
        (task_id,),
    ).fetchall()


def unfinished_of_session(conn: sqlite3.Connection, session_id: str) -> list[Any]:
    """The session's tasks that have not ended, by id."""
    return conn.execute(
        f"SELECT id, session_id FROM tasks WHERE status NOT IN {_TERMINAL} "
        "AND session_id = ? ORDER BY id",
        (session_id,),
    ).fetchall()


def cancel_unfinished(w: Write, rows: Sequence[Any], reason: str) -> list[int]:
    """Cancel the tasks of `rows` (from `unfinished_*`); dependents are decided as usual."""
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    _set_cancelled(w, rows, reason)
    settle_dependents(w, ids)
    return ids


def _set_cancelled(w: Write, rows: Sequence[Any], reason: str) -> None:
    w.conn.execute(
        "UPDATE tasks SET status = 'cancelled', error = ?, finished_at = ?, "
        "lease_owner = NULL, lease_expires = NULL "
        "WHERE id IN (SELECT value FROM json_each(?))",
        (reason, w.now, ids_json(r["id"] for r in rows)),
    )
    for session_id, ids in by_session(rows).items():
        w.outbox.add(session_channel(session_id), TaskCancelled(task_ids=ids, reason=reason))
