"""Ending the wait for a worker that never comes.

A role with tasks and no workers started here (`--workers R=0`, or a role only a skill's
`ctx.enqueue` names) waits for a worker started by hand. The supervisor says so on the
session's bus (`worker.wanted`, shown by `run` and `watch`); once `worker_wait_s` has
passed with no worker serving the role, its ready tasks are failed without retry with
the reason, their dependents are decided as for any failure, and the session ends. The
session's own `--timeout` ends the wait too.

A role is unserved in a session while it has ready tasks and no live worker that would
claim them (`serves`): the supervisor, the sweeps here and `follow` all go by this.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Iterable
from typing import Protocol

from orchestrator.crash_loops import SWEEP_INTERVAL_S, fail_ready_tasks
from orchestrator.pids import worker_is_gone
from taskqueue import HUMAN_ROLE, Store, TaskStatus, WorkerInfo

WORKER_WANTED = "worker.wanted"
"""The bus message kind: `{"role", "hint"}`, a role whose tasks wait for a worker."""

SERVE_HINT = "start one with swarm serve --store URL"
"""How a run without workers of its own (`--no-workers`) says to get one."""


class UnservedWatch(Protocol):
    """What the sweep reads of the supervisor: when each unserved role was first seen."""

    unserved_since: dict[str, float]


def unserved_reason(role: str, wait_s: float, hint: str) -> str:
    return f"no worker of role {role!r} came within worker_wait_s = {wait_s:g} s ({hint})"


def serves(worker: WorkerInfo, session_id: str) -> bool:
    """Whether `worker` is live and claims its role's tasks in session `session_id`."""
    return worker.session_id in (None, session_id) and not worker_is_gone(worker)


async def serving_workers(store: Store, role: str, session_id: str) -> list[str]:
    """The live workers that would claim the role's tasks in the session."""
    return [w.id for w in await store.list_workers() if w.role == role and serves(w, session_id)]


async def unserved_roles(store: Store, session_id: str, ready: Iterable[str]) -> list[str]:
    """Those of the roles `ready` (roles with ready tasks) that no live worker serves in
    the session, sorted. The human role is never one: a person answers its tasks."""
    wanted = set(ready) - {HUMAN_ROLE}
    if not wanted:
        return []
    served = {w.role for w in await store.list_workers() if serves(w, session_id)}
    return sorted(wanted - served)


async def fail_tasks_unserved_at_timeout(
    store: Store, local_roles: Collection[str], session_id: str, timeout_s: float, hint: str,
) -> None:
    """At the session's timeout: fail the ready tasks of each role that has no worker
    here (`local_roles` are those the supervisor starts) nor one started by hand, so that
    `resume` does not wait for it again unawares."""
    queued = {c.role for c in await store.counts(session_id) if c.status is TaskStatus.QUEUED}
    for role in await unserved_roles(store, session_id, queued - set(local_roles)):
        reason = (f"no worker of role {role!r} came before the session's timeout "
                  f"({timeout_s:g} s; {hint.format(role=role)})")
        await fail_ready_tasks(store, session_id, role, reason)


async def fail_tasks_of_unserved_roles(
    store: Store, supervisor: UnservedWatch, session_id: str, wait_s: float, hint: str,
    interval_s: float = SWEEP_INTERVAL_S,
) -> None:
    """Every `interval_s`, fail the ready tasks of each role that has waited past
    `wait_s` for a worker; a role a worker serves meanwhile waits afresh. Runs until
    cancelled."""
    while True:
        now = time.monotonic()
        for role, since in sorted(supervisor.unserved_since.items()):
            if await serving_workers(store, role, session_id):
                supervisor.unserved_since[role] = now
            elif now - since > wait_s:
                reason = unserved_reason(role, wait_s, hint.format(role=role))
                await fail_ready_tasks(store, session_id, role, reason)
        await asyncio.sleep(interval_s)
