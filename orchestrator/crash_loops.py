"""Ending the work of a role whose workers keep crashing, instead of waiting forever.

The supervisor restarts a dead worker with a growing delay and marks its role failing
after `crash_loop_count` crashes in `crash_loop_window_s` (`Supervisor.failing_roles`).
A worker that dies each time it starts (a skill file that exits at import) would never
run that role's tasks, and the session would never end. While a role is failing, its
ready tasks in the session are taken here and failed, without retry, with the reason;
their dependents are decided as for any failure, and the session ends with exit 1.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from taskqueue import Store

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 0.5
# The holder of the leases taken here, for the instant before each task is failed.
SWEEPER_ID = "supervisor"
SWEEP_BATCH = 50
SWEEP_LEASE_S = 60.0


class CrashWatch(Protocol):
    """What the sweep reads of the supervisor."""

    failing_roles: set[str]
    last_crash: dict[str, str]


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


async def fail_ready_tasks(store: Store, session_id: str, role: str, reason: str) -> list[int]:
    """Take every ready task of `role` in the session and fail it without retry."""
    failed: list[int] = []
    while claimed := await store.claim(SWEEPER_ID, [role], SWEEP_BATCH,
                                       lease_s=SWEEP_LEASE_S, session_id=session_id):
        for task in claimed:
            if await store.fail(task.id, task.attempt, reason, retry=False) is not None:
                failed.append(task.id)
    return failed


__all__ = ["crash_loop_reason", "fail_ready_tasks", "fail_tasks_of_crashing_roles"]
