"""The queue's data: tasks, sessions, workers and counts, as small pydantic models."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TaskStatus(StrEnum):
    """Where a task is in its lifecycle (see docs/design.md, "The task lifecycle")."""

    BLOCKED = "blocked"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.DEAD, TaskStatus.CANCELLED}
)
UNSUCCESSFUL_STATUSES = frozenset({TaskStatus.FAILED, TaskStatus.DEAD, TaskStatus.CANCELLED})

HUMAN_ROLE = "human"
"""The role no worker claims: its tasks wait for a person's answer (`Store.answer_task`)."""

DEFAULT_MAX_ATTEMPTS = 3
"""How many attempts a task gets unless its plan or the workspace's config says otherwise."""

MAX_ID = 2**63 - 1
"""The largest id (of a task or a message) SQLite stores: a bigger number names nothing,
and handed to the store it would overflow."""


class SessionStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class NewTask(BaseModel):
    """A task to enqueue.

    `key` names the task within one `enqueue_plan` batch so that `depends_on` can refer to
    it; `depends_on` holds such keys (str) or ids of tasks already in the session (int).
    `before` holds ids of tasks already in the session, not yet started, that must wait
    for this one too (a follow-up the synthesis waits for: `Store.enqueue_plan`).
    """

    model_config = ConfigDict(extra="forbid")

    key: str | None = None
    role: str = Field(min_length=1)
    skill: str | None = None
    title: str = ""
    input: dict[str, Any] = Field(default_factory=dict)
    # Bounded to SQLite's 64-bit integers.
    priority: int = Field(default=0, ge=-(2**63), le=2**63 - 1)
    depends_on: list[str | int] = Field(default_factory=list)
    before: list[int] = Field(default_factory=list)
    max_attempts: int = Field(default=DEFAULT_MAX_ATTEMPTS, ge=1)
    timeout_s: float | None = Field(default=None, gt=0)
    not_before: float | None = None
    run_on_partial: bool = False


class Task(BaseModel):
    """A task as stored, with its current lease and outcome."""

    id: int
    session_id: str
    key: str | None
    role: str
    skill: str | None
    title: str
    input: dict[str, Any]
    priority: int
    status: TaskStatus
    attempt: int
    max_attempts: int
    timeout_s: float | None
    not_before: float | None
    run_on_partial: bool
    lease_owner: str | None
    lease_expires: float | None
    result: Any = None
    error: str | None = None
    checkpoint: Any = None
    progress: float | None = None
    progress_note: str | None = None
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    depends_on: list[int] = Field(default_factory=list)


class Session(BaseModel):
    """One request and everything done for it."""

    id: str
    request: str
    status: SessionStatus
    options: dict[str, Any] = Field(default_factory=dict)
    created_at: float
    finished_at: float | None = None


class WorkerStatus(StrEnum):
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    DEAD = "dead"


class WorkerInfo(BaseModel):
    """A worker process as registered in the store."""

    id: str
    role: str
    pid: int
    host: str = ""
    session_id: str | None = None
    concurrency: int = 1
    status: WorkerStatus = WorkerStatus.RUNNING
    started_at: float = 0.0
    heartbeat_at: float = 0.0
    running: list[int] = Field(default_factory=list)
    rss_mb: float | None = None


class WorkerBeat(BaseModel):
    """What a worker reports with each heartbeat."""

    running: list[int] = Field(default_factory=list)
    rss_mb: float | None = None
    status: WorkerStatus = WorkerStatus.RUNNING


class BoardFileCopy(BaseModel):
    """A blackboard file as the store keeps it for hosts that do not share a disk: its
    path in the session, its whole text (front matter included) and its sequence number
    in the session (`Store.put_blackboard_file`)."""

    path: str
    text: str
    seq: int


class StatusCount(BaseModel):
    session_id: str
    role: str
    status: TaskStatus
    count: int


class Completion(BaseModel):
    """One attempt's successful outcome, for `complete_many`."""

    task_id: int
    attempt: int
    result: Any = None


class UsageTotals(BaseModel):
    """Calls to the model server and what they cost: tokens and time waited."""

    calls: int = 0
    failed: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out


class SessionUsage(BaseModel):
    """A session's model usage, in all and per task (calls made outside a task count
    only in the total)."""

    total: UsageTotals = Field(default_factory=UsageTotals)
    by_task: dict[int, UsageTotals] = Field(default_factory=dict)
