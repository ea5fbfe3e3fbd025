"""Ending the work of a role whose workers keep crashing, instead of waiting forever.

The supervisor restarts a dead worker with a growing delay and marks its role failing
after `crash_loop_count` crashes in `crash_loop_window_s` (`Supervisor.failing_roles`).
A worker that dies each time it starts (a skill file that exits at import) would never
run that role's tasks, and the session would never end. While a role is failing, its
ready tasks in the session are taken here and failed, without retry, with the reason;
their dependents are decided as for any failure, and the session ends with exit 1.

`swarm serve` keeps workers for every session of the store, so its sweep goes through
each session with ready tasks of a failing role, and leaves alone a session where a
healthy worker of another supervisor (another host's `serve`, a `run`'s own workers, one
started by hand) serves the role: only this host's workers cannot run them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection
from typing import Protocol

from orchestrator.pids import worker_is_gone, worker_is_silent
from taskqueue import Store, StoreError, TaskStatus

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 0.5
# The holder of the leases taken here, for the instant before each task is failed.
SWEEPER_ID = "supervisor"
SWEEP_BATCH = 50
SWEEP_LEASE_S = 60.0
# A worker that has lived this long is past a crash at start: it counts as healthy (and
# its slot's crashes no longer as consecutive: `Supervisor`).
HEALTHY_AFTER_S = 10.0


class CrashWatch(Protocol):
    """What the sweep reads of the supervisor."""

    failing_roles: set[str]
    last_crash: dict[str, str]


class ServedCrashWatch(CrashWatch, Protocol):
    """What the sweep of `serve` reads of its supervisor, besides the failing roles."""

    @property
    def worker_ids(self) -> set[str]: ...


def crash_loop_reason(role: str, last_crash: str | None) -> str:
    """`workers of role 'r' keep crashing: worker r.0-ab12cd exited with status 3`."""
    return f"workers of role {role!r} keep crashing: {last_crash or 'see the worker logs'}"


async def fail_tasks_of_crashing_roles(
    store: Store, supervisor: CrashWatch, session_id: str,
    interval_s: float = SWEEP_INTERVAL_S,
) -> None:
    """Every `interval_s`, fail the ready tasks of each failing role; runs until cancelled."""
    while True:
        for role in sorted(supervisor.failing_roles):
            reason = crash_loop_reason(role, supervisor.last_crash.get(role))
            failed = await fail_ready_tasks(store, session_id, role, reason)
            if failed:
                logger.warning("failed tasks %s: %s", failed, reason)
        await asyncio.sleep(interval_s)


async def fail_served_tasks_of_crashing_roles(
    store: Store, supervisor: ServedCrashWatch, heartbeat_timeout_s: float,
    interval_s: float = SWEEP_INTERVAL_S,
) -> None:
    """For `serve`: every `interval_s`, fail the ready tasks of each failing role in every
    session of the store that no healthy worker of another supervisor serves (silent
    for at most `heartbeat_timeout_s`, up for `HEALTHY_AFTER_S`); runs until cancelled.
    A store that fails a sweep is tried again at the next one."""
    while True:
        for role in sorted(supervisor.failing_roles):
            reason = crash_loop_reason(role, supervisor.last_crash.get(role))
            try:
                await _fail_in_unserved_sessions(store, role, reason, supervisor.worker_ids,
                                                 heartbeat_timeout_s)
            except StoreError as exc:
                logger.warning("could not fail the tasks of role %r: %s", role, exc)
        await asyncio.sleep(interval_s)


async def _fail_in_unserved_sessions(store: Store, role: str, reason: str,
                                     own: Collection[str], heartbeat_timeout_s: float) -> None:
    waiting = sorted({c.session_id for c in await store.counts(None)
                      if c.role == role and c.status is TaskStatus.QUEUED and c.count})
    if not waiting:
        return
    now = time.time()
    others = [w for w in await store.list_workers()
              if w.role == role and w.id not in own and not worker_is_gone(w)
              and not worker_is_silent(w, now, heartbeat_timeout_s)
              and now - w.started_at > HEALTHY_AFTER_S]
    if any(w.session_id is None for w in others):
        return
    served = {w.session_id for w in others}
    for session_id in waiting:
        if session_id in served:
            continue
        failed = await fail_ready_tasks(store, session_id, role, reason)
        if failed:
            logger.warning("session %s: failed tasks %s: %s", session_id, failed, reason)


async def fail_ready_tasks(store: Store, session_id: str, role: str, reason: str) -> list[int]:
    """Take every ready task of `role` in the session and fail it without retry."""
    failed: list[int] = []
    while claimed := await store.claim(SWEEPER_ID, [role], SWEEP_BATCH,
                                       lease_s=SWEEP_LEASE_S, session_id=session_id):
        for task in claimed:
            if await store.fail(task.id, task.attempt, reason, retry=False) is not None:
                failed.append(task.id)
    return failed


__all__ = [
    "crash_loop_reason",
    "fail_ready_tasks",
    "fail_served_tasks_of_crashing_roles",
    "fail_tasks_of_crashing_roles",
]
