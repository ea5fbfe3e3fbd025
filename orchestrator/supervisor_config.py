"""The supervisor's configuration: which workers it keeps, with which settings, how it
watches and restarts them, and the command line each worker is started with."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from skills.agents.settings import RoleSkill
from worker.config import WorkerSettings


class RoleWorkers(RoleSkill):
    """How many worker processes a role gets, and how many tasks each runs at once; and
    (`RoleSkill`) the skill its tasks run when they name none."""

    model_config = ConfigDict(extra="forbid")

    workers: int = Field(default=1, ge=0, le=256)
    concurrency: int = Field(default=1, ge=1, le=1024)
    # Another interpreter for this role's workers (a venv with the skills' dependencies
    # and swarm installed); None: the orchestrator's own.
    python: Path | None = None


HEARTBEAT_TIMEOUT_S = 10.0
"""How long a worker may be silent before it is taken to be hung and is killed."""


WORKER_WAIT_S = 600.0
"""How long the tasks of a role without workers wait for one started by hand."""


class SupervisorConfig(BaseModel):
    """Which workers to keep alive and how to watch them."""

    home: Path
    roles: dict[str, RoleWorkers]
    session_id: str | None = None
    # The store's URL, handed to every worker; None: the workspace's SQLite file.
    store: str | None = None
    skills_dirs: list[Path] = Field(default_factory=list)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    # Start a role's workers once its tasks appear (queued, blocked or running) rather
    # than every role's at once; a role with tasks and no workers here is reported.
    start_roles_when_needed: bool = False
    heartbeat_timeout_s: float = Field(default=HEARTBEAT_TIMEOUT_S, gt=0)
    # A started worker has this long to register before it is taken to be stuck.
    startup_timeout_s: float = Field(default=30.0, gt=0)
    watch_interval_s: float = Field(default=0.5, gt=0)
    restart_backoff_s: float = Field(default=0.1, ge=0)
    restart_backoff_max_s: float = Field(default=30.0, ge=0)
    # This many crashes of one role within the window: the role keeps crashing.
    crash_loop_count: int = Field(default=5, ge=1)
    crash_loop_window_s: float = Field(default=60.0, gt=0)
    stop_timeout_s: float = Field(default=15.0, gt=0)
    # A role with tasks and no workers here: how long its tasks wait for a hand-started one.
    worker_wait_s: float = Field(default=WORKER_WAIT_S, gt=0)
    # Added to each worker's environment: the model's settings travel here, not on the
    # command line, where any user could read an API key with `ps`.
    worker_env: dict[str, str] = Field(default_factory=dict, repr=False)


def worker_log_path(config: SupervisorConfig, role: str, index: int) -> Path:
    """The log of a role's worker slot: what the supervisor opens as the worker's stdout
    and stderr, and the worker writes to, capped, once it has taken them over."""
    return config.home / "logs" / f"{config.session_id or 'all'}-{role}-{index}.log"


def worker_argv(config: SupervisorConfig, role: str, worker_id: str, parent_pid: int,
                log_file: Path | None = None) -> list[str]:
    """The real command line of one worker process."""
    role_workers = config.roles[role]
    python = str(role_workers.python) if role_workers.python else sys.executable
    argv = [
        python, "-m", "worker", "--role", role, "--home", str(config.home),
        "--worker-id", worker_id, "--parent-pid", str(parent_pid),
        "--concurrency", str(role_workers.concurrency),
        # Past its silence limit the supervisor kills a worker; twice that, a worker whose
        # supervisor is gone ends itself, even with its event loop blocked.
        "--blocked-limit-s", repr(2 * config.heartbeat_timeout_s),
    ]
    if config.session_id:
        argv += ["--session", config.session_id]
    if config.store:
        argv += ["--store", config.store]
    for directory in config.skills_dirs:
        argv += ["--skills-dir", str(directory)]
    if log_file is not None:
        argv += ["--log-file", str(log_file)]
    return argv + config.worker.argv()
