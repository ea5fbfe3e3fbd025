"""Redis hashes to the store's models, and back for what the scripts are given."""

from __future__ import annotations

import json
from typing import Any

from taskqueue.encoding import from_json
from taskqueue.models import Session, SessionStatus, Task, TaskStatus, WorkerInfo, WorkerStatus

# A task as the scripts reply it: its hash as a flat list, and the ids it depends on.
TaskDump = list[list[str]]


def pairs(flat: list[str]) -> dict[str, str]:
    """A hash replied as [field, value, field, value, ...]."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _float(value: str | None) -> float | None:
    return None if value is None else float(value)


def task_from_dump(dump: TaskDump) -> Task:
    flat, deps = dump
    fields = pairs(flat)
    return Task(
        id=int(fields["id"]),
        session_id=fields["session_id"],
        key=fields.get("key"),
        role=fields["role"],
        skill=fields.get("skill"),
        title=fields["title"],
        input=json.loads(fields["input"]),
        priority=int(fields["priority"]),
        status=TaskStatus(fields["status"]),
        attempt=int(fields["attempt"]),
        max_attempts=int(fields["max_attempts"]),
        timeout_s=_float(fields.get("timeout_s")),
        not_before=float(fields["not_before"]) or None,
        run_on_partial=fields["run_on_partial"] == "1",
        lease_owner=fields.get("lease_owner"),
        lease_expires=_float(fields.get("lease_expires")),
        result=from_json(fields.get("result")),
        error=fields.get("error"),
        checkpoint=from_json(fields.get("checkpoint")),
        progress=_float(fields.get("progress")),
        progress_note=fields.get("progress_note"),
        created_at=float(fields["created_at"]),
        started_at=_float(fields.get("started_at")),
        finished_at=_float(fields.get("finished_at")),
        depends_on=sorted(int(dep) for dep in deps),
    )


def tasks_from_dumps(dumps: list[TaskDump]) -> list[Task]:
    return [task_from_dump(dump) for dump in dumps]


def session_from_hash(fields: dict[str, str]) -> Session:
    return Session(
        id=fields["id"],
        request=fields["request"],
        status=SessionStatus(fields["status"]),
        options=json.loads(fields["options"]),
        created_at=float(fields["created_at"]),
        finished_at=_float(fields.get("finished_at")),
    )


def worker_fields(worker: WorkerInfo) -> str:
    """What registering a worker records (text, as the hash keeps it), as JSON."""
    fields: dict[str, Any] = {
        "id": worker.id, "role": worker.role, "pid": str(worker.pid), "host": worker.host,
        "concurrency": str(worker.concurrency), "status": str(worker.status),
    }
    if worker.session_id is not None:
        fields["session_id"] = worker.session_id
    if worker.rss_mb is not None:
        fields["rss_mb"] = repr(float(worker.rss_mb))
    return json.dumps(fields)


def worker_from_hash(fields: dict[str, str]) -> WorkerInfo:
    return WorkerInfo(
        id=fields["id"],
        role=fields["role"],
        pid=int(fields["pid"]),
        host=fields["host"],
        session_id=fields.get("session_id"),
        concurrency=int(fields["concurrency"]),
        status=WorkerStatus(fields["status"]),
        started_at=float(fields["started_at"]),
        heartbeat_at=float(fields["heartbeat_at"]),
        running=json.loads(fields["running"]),
        rss_mb=_float(fields.get("rss_mb")),
    )
