"""The durable task queue and message bus of swarm, behind one storage protocol.

Importing it is light: the protocol, the models, the messages and the errors. The SQLite
backend (sqlite3, the change watchers) loads only when `SqliteStore` is first used,
from here or from `taskqueue.sqlite`.
"""

from typing import TYPE_CHECKING, Any

from taskqueue.errors import (
    AmbiguousSession,
    DiskFull,
    DuplicateTaskKey,
    InvalidBlob,
    InvalidTask,
    StoreBusy,
    StoreError,
    SwarmError,
    UnknownSession,
    UnknownTask,
    describe_validation,
    error_headline,
)
from taskqueue.messages import WORKERS_CHANNEL, Message, session_channel
from taskqueue.models import (
    DEFAULT_MAX_ATTEMPTS,
    HUMAN_ROLE,
    MAX_ID,
    BoardFileCopy,
    Completion,
    NewTask,
    Session,
    SessionStatus,
    SessionUsage,
    StatusCount,
    Task,
    TaskStatus,
    UsageTotals,
    WorkerBeat,
    WorkerInfo,
    WorkerStatus,
)
from taskqueue.opening import (
    PASSWORD_ENV,
    StoreUrlError,
    default_store_url,
    open_store,
    printable_url,
)
from taskqueue.printable import printable
from taskqueue.retry import RetryPolicy, backoff_s
from taskqueue.store import Store
from taskqueue.workspace import is_workspace, queue_path

if TYPE_CHECKING:
    from taskqueue.sqlite import SqliteStore

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "HUMAN_ROLE",
    "MAX_ID",
    "PASSWORD_ENV",
    "WORKERS_CHANNEL",
    "AmbiguousSession",
    "BoardFileCopy",
    "Completion",
    "DiskFull",
    "DuplicateTaskKey",
    "InvalidBlob",
    "InvalidTask",
    "Message",
    "NewTask",
    "RetryPolicy",
    "Session",
    "SessionStatus",
    "SessionUsage",
    "SqliteStore",
    "StatusCount",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreUrlError",
    "SwarmError",
    "Task",
    "TaskStatus",
    "UnknownSession",
    "UnknownTask",
    "UsageTotals",
    "WorkerBeat",
    "WorkerInfo",
    "WorkerStatus",
    "backoff_s",
    "default_store_url",
    "describe_validation",
    "error_headline",
    "is_workspace",
    "open_store",
    "printable",
    "printable_url",
    "queue_path",
    "session_channel",
]


def __getattr__(name: str) -> Any:
    # Only a process that opens a store pays for the backend's imports.
    if name == "SqliteStore":
        from taskqueue.sqlite import SqliteStore

        return SqliteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
