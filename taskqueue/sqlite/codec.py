"""JSON in and out of the database, and rows to models."""

from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

from taskqueue.errors import InvalidTask
from taskqueue.messages import Body, Message
from taskqueue.models import Session, Task, WorkerInfo

# A message as the bus table stores it: (channel, kind, JSON body).
EncodedMessage = tuple[str, str, str]


def to_json(value: Any, field: str) -> str:
    """Encode `value`, or raise InvalidTask naming the first field that cannot be encoded."""
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        where, why = _first_unencodable(value, field)
        raise InvalidTask(f"{where}: not JSON-serialisable ({why})") from exc


def _first_unencodable(value: Any, path: str) -> tuple[str, str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return path, f"key {key!r} is a {type(key).__name__}, not a string"
            found = _first_unencodable(item, f"{path}.{key}")
            if found[1]:
                return found
        return path, ""
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _first_unencodable(item, f"{path}[{index}]")
            if found[1]:
                return found
        return path, ""
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"{value} is not a finite number"
    if value is None or isinstance(value, str | int | float | bool):
        return path, ""
    return path, f"a {type(value).__name__} value"


def from_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def encode_message(
    channel: str, body: Body | dict[str, Any], kind: str | None = None
) -> EncodedMessage:
    """A typed body, or a plain dict with its `kind`, as the bus table stores it."""
    if isinstance(body, Body):
        return channel, body.kind, body.model_dump_json()
    if not kind:
        raise ValueError("a message with a plain dict body needs a kind")
    return channel, kind, to_json(body, "body")


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
