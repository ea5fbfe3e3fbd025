"""JSON in and out of the database, and rows to models."""

from __future__ import annotations

import json
import sqlite3

from taskqueue.encoding import EncodedMessage, encode_message, from_json, to_json
from taskqueue.messages import Message
from taskqueue.models import Session, Task, WorkerInfo

__all__ = ["EncodedMessage", "encode_message", "from_json", "row_to_message", "row_to_session",
           "row_to_task", "row_to_worker", "to_json"]


def row_to_message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        time=row["time"],
        channel=row["channel"],
        kind=row["kind"],
        sender=row["sender"],
        body=json.loads(row["body"]),
    )


# What to select from (or return from an UPDATE of) `tasks` for `row_to_task`: the row and
# the ids it depends on, in one statement.
TASK_COLUMNS = (
    "*, (SELECT json_group_array(depends_on) FROM (SELECT depends_on FROM task_deps "
    "WHERE task_id = tasks.id ORDER BY depends_on)) AS depends_on_json"
)


def row_to_task(row: sqlite3.Row) -> Task:
    """A row selected as TASK_COLUMNS."""
    return Task(
        id=row["id"],
        session_id=row["session_id"],
        key=row["key"],
        role=row["role"],
        skill=row["skill"],
        title=row["title"],
        input=json.loads(row["input"]),
        priority=row["priority"],
        status=row["status"],
        attempt=row["attempt"],
        max_attempts=row["max_attempts"],
        timeout_s=row["timeout_s"],
        not_before=row["not_before"] or None,
        run_on_partial=bool(row["run_on_partial"]),
        lease_owner=row["lease_owner"],
        lease_expires=row["lease_expires"],
        result=from_json(row["result"]),
        error=row["error"],
        checkpoint=from_json(row["checkpoint"]),
        progress=row["progress"],
        progress_note=row["progress_note"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        depends_on=json.loads(row["depends_on_json"]),
    )


def row_to_session(row: sqlite3.Row) -> Session:
    return Session(
        id=row["id"],
        request=row["request"],
        status=row["status"],
        options=json.loads(row["options"]),
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


def row_to_worker(row: sqlite3.Row) -> WorkerInfo:
    return WorkerInfo(
        id=row["id"],
        role=row["role"],
        pid=row["pid"],
        host=row["host"],
        session_id=row["session_id"],
        concurrency=row["concurrency"],
        status=row["status"],
        started_at=row["started_at"],
        heartbeat_at=row["heartbeat_at"],
        running=json.loads(row["running"]),
        rss_mb=row["rss_mb"],
    )
