"""One worker's settings: everything comes from its command line."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, Field


def new_worker_id(role: str) -> str:
    return f"{role}-{os.getpid()}-{secrets.token_hex(2)}"


class WorkerSettings(BaseModel):
    """How a worker paces itself; the supervisor passes these on every worker's argv."""

    lease_s: float = Field(default=10.0, gt=0)
    heartbeat_s: float = Field(default=1.0, gt=0)
    default_timeout_s: float = Field(default=600.0, gt=0)
    max_rss_mb: float = Field(default=1024.0, gt=0)
    grace_s: float = Field(default=10.0, ge=0)
    retry_base_s: float = Field(default=1.0, ge=0)
    retry_max_s: float = Field(default=60.0, ge=0)
    idle_poll_s: float = Field(default=1.0, gt=0)


class WorkerConfig(WorkerSettings):
    """One worker process: what it serves, and how it paces itself."""

    role: str = Field(min_length=1)
    home: Path
    worker_id: str = ""
    concurrency: int = Field(default=1, ge=1, le=1024)
    session_id: str | None = None
    skills_dirs: list[Path] = Field(default_factory=list)
    parent_pid: int | None = None

    @property
    def db_path(self) -> Path:
        return self.home / "swarm.db"
