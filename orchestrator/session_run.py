"""Running a session to its end: workers up, follow the bus, conclude with an exit status."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys

from orchestrator.board_copies import copy_board, keep_board_copied
from orchestrator.config import SwarmConfig
from orchestrator.crash_loops import fail_tasks_of_crashing_roles
from orchestrator.follow import FollowEnd, Renderer, follow
from orchestrator.pids import pid_alive
from orchestrator.session_start import RunOptions
from orchestrator.supervisor import Supervisor
from orchestrator.supervisor_config import SupervisorConfig
from orchestrator.unserved_roles import (
    SERVE_HINT,
    fail_tasks_of_unserved_roles,
    fail_tasks_unserved_at_timeout,
)
from orchestrator.workspace import Workspace
from taskqueue import (
    HUMAN_ROLE,
    DiskFull,
    Session,
    SessionStatus,
    Store,
    Task,
    TaskStatus,
    WorkerStatus,
    error_headline,
)

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_TASKS_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_TIMED_OUT = 3
EXIT_INTERRUPTED = 130


def supervisor_config(ws: Workspace, config: SwarmConfig, session: Session) -> SupervisorConfig:
    options = RunOptions.model_validate(session.options)
    roles = config.with_worker_counts(options.workers).roles
    return SupervisorConfig(
        home=ws.home, session_id=session.id, skills_dirs=options.skills_dirs,
        store=ws.configured_store(),
        # A person answers the human role's tasks: no worker is ever started for it; with
        # --no-workers, the workers of `swarm serve` hosts answer every other role's.
        roles={} if options.no_workers else {
            name: role for name, role in roles.items()
            if role.workers > 0 and name != HUMAN_ROLE},
        worker=config.worker_settings(), heartbeat_timeout_s=config.heartbeat_timeout_s,
        worker_env=config.llm.to_environment(), start_roles_when_needed=True,
        worker_wait_s=config.worker_wait_s,
    )


async def run_session(
    ws: Workspace, store: Store, session: Session, config: SwarmConfig, renderer: Renderer,
    *, timeout_s: float | None,
) -> tuple[int, str]:
    """Start this session's workers, follow it to its end, stop the workers.

    Returns the exit status and a one-line summary.
    """
    try:
        await release_leases_of_dead_workers(store)
        await store.prune_messages(config.message_retention_s)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        supervisor_settings = supervisor_config(ws, config, session)
        supervisor = Supervisor(supervisor_settings, store, on_failure=stop.set)
        helpers: list[asyncio.Task[None]] = []
        try:
            await supervisor.start()
            helpers += [
                asyncio.create_task(fail_tasks_of_crashing_roles(store, supervisor, session.id)),
                asyncio.create_task(fail_tasks_of_unserved_roles(
                    store, supervisor, session.id, supervisor.config.worker_wait_s,
                    supervisor.start_hint)),
            ]
            if ws.board_through_store:
                helpers.append(asyncio.create_task(keep_board_copied(ws, store, session.id)))
            end, _ = await follow(store, session.id, renderer, stop=stop, timeout_s=timeout_s,
                                  unserved_hint=None if supervisor_settings.roles else SERVE_HINT)
            if end is FollowEnd.TIMED_OUT and timeout_s is not None:
                local_roles = [r for r, rw in supervisor.config.roles.items() if rw.workers]
                await fail_tasks_unserved_at_timeout(store, local_roles, session.id, timeout_s,
                                                     supervisor.start_hint)
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.shield(supervisor.stop())
        if supervisor.failure is not None:
            raise supervisor.failure
        return await conclude(ws, store, session.id, await _end_after_stop(store, session.id, end))
    except DiskFull as exc:
        # Nothing is lost: what was recorded stands, and the rest runs once there is room.
        raise DiskFull(f"{exc}; free some space, then finish the session with: "
                       f"swarm resume {session.id}") from exc


async def conclude(ws: Workspace, store: Store, session_id: str, end: FollowEnd) -> tuple[int, str]:
    """The exit status and summary for how the session ended (INTERFACES.md, `run`)."""
    if end is FollowEnd.INTERRUPTED:
        return EXIT_INTERRUPTED, (f"interrupted; the session can be finished with: "
                                  f"swarm resume {session_id}")
    if end is FollowEnd.TIMED_OUT:
        return EXIT_TIMED_OUT, (f"timed out; the session can be finished with: "
                                f"swarm resume {session_id}")
    # The files of workers on other hosts, up to the last: the report among them.
    await copy_board(ws, store, session_id)
    tasks = await store.list_tasks(session_id)
    lost = [t for t in tasks if t.status in (TaskStatus.FAILED, TaskStatus.DEAD)]
    report = ws.report_path(session_id)
    if end is FollowEnd.CANCELLED:
        return EXIT_TASKS_FAILED, "the session was cancelled"
    ok = report.exists() and not lost
    await store.finish_session(session_id, SessionStatus.DONE if ok else SessionStatus.FAILED)
    if not report.exists():
        return EXIT_TASKS_FAILED, ("no report was written: the synthesis did not run"
                                   + (f"; {_lost_task(lost[0])}" if lost else ""))
    if lost:
        names = ", ".join(f"#{t.id} {t.role}/{t.skill or '-'} ({t.status})" for t in lost)
        return EXIT_TASKS_FAILED, f"report written, but some tasks did not finish: {names}"
    done = sum(t.status is TaskStatus.DONE for t in tasks)
    cancelled = [t for t in tasks if t.status is TaskStatus.CANCELLED]
    if cancelled:
        reasons = sorted({(t.error or "cancelled").strip() for t in cancelled})
        return EXIT_OK, (f"report written ({done} tasks done; {len(cancelled)} cancelled: "
                         f"{'; '.join(reasons)})")
    return EXIT_OK, f"report written ({done} tasks done)"


async def _end_after_stop(store: Store, session_id: str, end: FollowEnd) -> FollowEnd:
    """How the session ended, asked again once the workers are stopped: the tasks running
    at the deadline (or the Ctrl-C) had their grace period, and may have finished it."""
    if end not in (FollowEnd.TIMED_OUT, FollowEnd.INTERRUPTED):
        return end
    if (await store.get_session(session_id)).status is SessionStatus.CANCELLED:
        return FollowEnd.CANCELLED
    counts = await store.counts(session_id)
    if counts and all(c.status.is_terminal for c in counts):
        return FollowEnd.FINISHED
    return end


def _lost_task(task: Task) -> str:
    """`#1 planner/plan (failed): why`, the first lost task saying why the run fell short."""
    return (f"#{task.id} {task.role}/{task.skill or '-'} ({task.status}): "
            f"{error_headline(task.error)}")


async def release_leases_of_dead_workers(store: Store) -> list[int]:
    """Tasks held by workers of this host whose process is gone (say, after the
    orchestrator was SIGKILLed) are released now instead of when their leases expire."""
    released: list[int] = []
    host = socket.gethostname()
    for worker in await store.list_workers():
        if worker.host == host and not pid_alive(worker.pid):
            released += await store.release_worker(worker.id, f"worker {worker.id} is gone")
            await store.set_worker_status(worker.id, WorkerStatus.DEAD)
    return released


def start_detached(ws: Workspace, session_id: str) -> int:
    """Run the session in a background process of its own; returns its pid."""
    ws.logs.mkdir(parents=True, exist_ok=True)
    with open(ws.logs / f"session-{session_id}.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "resume", session_id,
             "--home", str(ws.home)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )
    logger.info("session %s runs in the background as pid %d", session_id, process.pid)
    return process.pid
