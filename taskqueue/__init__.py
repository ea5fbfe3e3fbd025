"""The durable task queue and message bus of swarm, behind one storage protocol."""

from taskqueue.errors import (
    AmbiguousSession,
    DuplicateTaskKey,
    InvalidTask,
    StoreBusy,
    StoreError,
    SwarmError,
    UnknownSession,
    UnknownTask,
)
from taskqueue.messages import WORKERS_CHANNEL, Message, session_channel
from taskqueue.models import (
    Completion,
    NewTask,
    Session,
    SessionStatus,
    StatusCount,
    Task,
    TaskStatus,
    WorkerBeat,
    WorkerInfo,
    WorkerStatus,
)
from taskqueue.retry import RetryPolicy
from taskqueue.sqlite import SqliteStore
from taskqueue.store import Store

__all__ = [
    "WORKERS_CHANNEL",
    "AmbiguousSession",
    "Completion",
    "DuplicateTaskKey",
    "InvalidTask",
    "Message",
    "NewTask",
    "RetryPolicy",
    "Session",
    "SessionStatus",
    "SqliteStore",
    "StatusCount",
    "Store",
    "StoreBusy",
    "StoreError",
    "SwarmError",
    "Task",
    "TaskStatus",
    "UnknownSession",
    "UnknownTask",
    "WorkerBeat",
    "WorkerInfo",
    "WorkerStatus",
    "session_channel",
]
