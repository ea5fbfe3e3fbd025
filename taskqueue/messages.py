"""The bus's message kinds: one pydantic model per kind, and the stored envelope.

Bodies are stored as JSON; `Message.parsed()` gives the typed body back. A kind not listed
here (a skill's own `ctx.publish`) stays a plain dict.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field


def session_channel(session_id: str) -> str:
    """The channel that carries everything about one session."""
    return f"session:{session_id}"


WORKERS_CHANNEL = "workers"


class Body(BaseModel):
    kind: ClassVar[str]


class SessionCreated(Body):
    kind: ClassVar[str] = "session.created"
    session_id: str
    request: str


class SessionFinished(Body):
    kind: ClassVar[str] = "session.done"
    session_id: str
    status: str


class TaskQueued(Body):
    kind: ClassVar[str] = "task.queued"
    task_ids: list[int]
    reason: str = "enqueued"


class TaskBlocked(Body):
    """Queued tasks that wait again: a task enqueued after them must end first."""

    kind: ClassVar[str] = "task.blocked"
    task_ids: list[int]
    reason: str


class TaskStarted(Body):
    kind: ClassVar[str] = "task.started"
    task_id: int
    attempt: int
    role: str
    skill: str | None
    worker: str


class TaskProgress(Body):
    kind: ClassVar[str] = "task.progress"
    task_id: int
    attempt: int
    fraction: float
    note: str = ""


class TaskDone(Body):
    kind: ClassVar[str] = "task.done"
    task_id: int
    attempt: int


class TaskFailed(Body):
    """An attempt failed; `retry_at` is set when another attempt is scheduled."""

    kind: ClassVar[str] = "task.failed"
    task_id: int
    attempt: int
    error: str
    retry_at: float | None = None
    final: bool = False


class TaskDead(Body):
    """Dead-lettered: every attempt was used."""

    kind: ClassVar[str] = "task.dead"
    task_id: int
    attempt: int
    error: str


class TaskRequeued(Body):
    """A running attempt lost its lease (expired, or its worker died)."""

    kind: ClassVar[str] = "task.requeued"
    task_id: int
    attempt: int
    reason: str


class TaskCancelled(Body):
    kind: ClassVar[str] = "task.cancelled"
    task_ids: list[int]
    reason: str


class WorkerStarted(Body):
    kind: ClassVar[str] = "worker.started"
    worker: str
    role: str
    pid: int


class WorkerHeartbeat(Body):
    kind: ClassVar[str] = "worker.heartbeat"
    worker: str
    running: list[int] = Field(default_factory=list)
    rss_mb: float | None = None


class WorkerStopped(Body):
    kind: ClassVar[str] = "worker.stopped"
    worker: str
    reason: str = ""


class WorkerCrashed(Body):
    kind: ClassVar[str] = "worker.crashed"
    worker: str
    role: str
    pid: int
    exit_code: int | None = None
    signal: int | None = None
    released: list[int] = Field(default_factory=list)
    reason: str = ""


class SkillLoadFailed(Body):
    """A skill file a worker reloaded failed to load; its last good version, if any, stays."""

    kind: ClassVar[str] = "skill.load_failed"
    worker: str
    origin: str
    error: str


class BlackboardWritten(Body):
    kind: ClassVar[str] = "blackboard.written"
    session_id: str
    path: str
    task_id: int | None = None


BODY_TYPES: dict[str, type[Body]] = {
    cls.kind: cls
    for cls in (
        SessionCreated,
        SessionFinished,
        TaskQueued,
        TaskBlocked,
        TaskStarted,
        TaskProgress,
        TaskDone,
        TaskFailed,
        TaskDead,
        TaskRequeued,
        TaskCancelled,
        WorkerStarted,
        WorkerHeartbeat,
        WorkerStopped,
        WorkerCrashed,
        SkillLoadFailed,
        BlackboardWritten,
    )
}


class Message(BaseModel):
    """A message as stored: `id` is the offset a reader keeps."""

    id: int
    time: float
    channel: str
    kind: str
    sender: str
    body: dict[str, Any]

    def parsed(self) -> Body | dict[str, Any]:
        """The typed body for a known kind, else the raw dict."""
        body_type = BODY_TYPES.get(self.kind)
        return body_type.model_validate(self.body) if body_type else self.body
