"""One worker's settings: everything comes from its command line."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, Field

from taskqueue import RetryPolicy, default_store_url, queue_path
from taskqueue.opening import sqlite_path

# A failed task waits by the queue's own backoff unless the settings say otherwise.
_QUEUE_RETRY = RetryPolicy()


def new_worker_id(role: str) -> str:
    return f"{role}-{os.getpid()}-{secrets.token_hex(2)}"


def option_flag(name: str) -> str:
    """The command-line option of a field: `task_timeout_s` is `--task-timeout-s`."""
    return "--" + name.replace("_", "-")


HARD_MEMORY_FACTOR = 2.0
"""A worker past this many times its `max_rss_mb` is ended at once (by its supervisor, or
by itself when it has none): past `max_rss_mb` it only stops claiming and lets its tasks
finish, which a skill that keeps growing would use to take the machine's memory."""

class WorkerSettings(BaseModel):
    """How a worker paces itself, each setting with its one default.

    A workspace's config.toml sets them (the orchestrator's `SwarmConfig` extends this
    model), the supervisor passes them on every worker's argv (`argv`), and `python -m
    worker` offers each as an option with this default and description.
    """

    lease_s: float = Field(
        default=10.0, gt=0,
        description="A claimed task's lease in seconds, renewed by every heartbeat.")
    heartbeat_s: float = Field(
        default=1.0, gt=0, description="Seconds between heartbeats, which extend leases.")
    task_timeout_s: float = Field(
        default=600.0, gt=0, description="A task's time limit, unless the task sets its own.")
    max_rss_mb: float = Field(
        default=1024.0, gt=0,
        description="Memory (MB) past which the worker finishes its tasks and is replaced.")
    max_log_mb: float = Field(
        default=10.0, gt=0, allow_inf_nan=False,
        description="The size (MB) within which a supervised worker's log and its one "
                    "backup (LOG.1) each stay.")
    grace_s: float = Field(
        default=10.0, ge=0,
        description="Seconds running tasks get to finish when the worker stops.")
    retry_base_s: float = Field(
        default=_QUEUE_RETRY.base_s, ge=0,
        description="Backoff before a failed task's first retry; doubled for each next one.")
    retry_max_s: float = Field(
        default=_QUEUE_RETRY.max_s, ge=0, description="The longest backoff before a retry.")
    idle_poll_s: float = Field(
        default=1.0, gt=0, description="An idle worker looks for new tasks this often.")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(base_s=self.retry_base_s, max_s=self.retry_max_s)

    def argv(self) -> list[str]:
        """These settings as `python -m worker` options (floats written exactly)."""
        options: list[str] = []
        for name in WorkerSettings.model_fields:
            options += [option_flag(name), repr(getattr(self, name))]
        return options


class WorkerConfig(WorkerSettings):
    """One worker process: what it serves, and how it paces itself."""

    role: str = Field(min_length=1)
    home: Path
    worker_id: str = ""
    concurrency: int = Field(default=1, ge=1, le=1024, description="Tasks run at once.")
    session_id: str | None = None
    skills_dirs: list[Path] = Field(default_factory=list)
    parent_pid: int | None = None
    # Set by the supervisor: the worker's fd 1 and 2 go there, capped at `max_log_mb`.
    log_file: Path | None = None
    # The store's URL (`swarm --store`, $SWARM_STORE); None: the workspace's SQLite file.
    store: str | None = None
    # Set by the supervisor (twice its heartbeat timeout): past this without a turn of
    # the event loop the kernel ends the process, supervisor or not.
    blocked_limit_s: float | None = Field(default=None, gt=0)

    @property
    def db_path(self) -> Path:
        return queue_path(self.home)

    @property
    def store_url(self) -> str:
        return self.store or default_store_url(self.home)

    @property
    def board_through_store(self) -> bool:
        """Whether the blackboard travels through the store: it does unless the store is
        this workspace's own SQLite file (then the orchestrator shares this disk)."""
        return self.store is not None and sqlite_path(self.store) != self.db_path
