"""`swarm serve`'s configuration and its crash-loop sweep, and the notes a run shows
while a role waits for a worker."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from orchestrator.config import SwarmConfig
from orchestrator.crash_loops import fail_served_tasks_of_crashing_roles
from orchestrator.follow import Progress
from orchestrator.hosts import serve_config
from orchestrator.progress import LiveRenderer, PlainRenderer
from orchestrator.unserved_roles import SERVE_HINT, WORKER_WANTED, unserved_roles
from orchestrator.workspace import Workspace
from skills.roles import ROLES
from support.clock import FakeClock
from taskqueue import (
    Message,
    NewTask,
    SqliteStore,
    SwarmError,
    TaskStatus,
    WorkerBeat,
    WorkerInfo,
    WorkerStatus,
)


def test_serve_keeps_every_configured_role_for_every_session(tmp_path: Path) -> None:
    config = serve_config(Workspace(tmp_path), SwarmConfig(), [], [])

    assert config.session_id is None
    assert set(config.roles) == {role.name for role in ROLES}
    assert not config.start_roles_when_needed


def test_serve_with_chosen_roles_keeps_only_those(tmp_path: Path) -> None:
    counts = SwarmConfig().with_worker_counts({"researcher": 3})

    config = serve_config(Workspace(tmp_path), counts, ["researcher"], [])

    assert list(config.roles) == ["researcher"]
    assert config.roles["researcher"].workers == 3


def test_serve_refuses_when_no_chosen_role_has_workers(tmp_path: Path) -> None:
    counts = SwarmConfig().with_worker_counts({"researcher": 0})

    with pytest.raises(SwarmError, match="no role has workers"):
        serve_config(Workspace(tmp_path), counts, ["researcher"], [])


async def test_a_role_with_queued_tasks_and_no_live_worker_is_unserved(
    sqlite_store: SqliteStore,
) -> None:
    session = await sqlite_store.create_session("r", {})
    await sqlite_store.enqueue_plan(session.id, [NewTask(role="researcher"),
                                                 NewTask(role="analyst"),
                                                 NewTask(role="human")])
    await sqlite_store.register_worker(WorkerInfo(id="w", role="analyst", pid=1, host="b"))

    unserved = await unserved_roles(sqlite_store, session.id, ["researcher", "analyst", "human"])

    assert unserved == ["researcher"]


def test_the_unserved_roles_are_noted_once_in_plain_output_and_always_in_the_live_block(
) -> None:
    progress = Progress(session_id="s", started=time.time(),
                        by_role={"researcher": Counter(queued=1)},
                        waiting_roles={"researcher": SERVE_HINT})
    plain, live = io.StringIO(), io.StringIO()

    renderer = PlainRenderer(plain)
    renderer.snapshot(progress)
    renderer.snapshot(progress)
    LiveRenderer(live).snapshot(progress)

    assert plain.getvalue().count("no worker for role researcher yet") == 1
    assert "no worker for role researcher yet" in live.getvalue()


class CrashingHere:
    """The part of `serve`'s supervisor its crash-loop sweep reads: role 'planner' keeps
    crashing here, in the slot whose worker is 'mine'."""

    def __init__(self) -> None:
        self.failing_roles = {"planner"}
        self.last_crash = {"planner": "worker mine exited with status 3"}
        self.worker_ids = {"mine"}


@contextlib.asynccontextmanager
async def sweeping(store: SqliteStore) -> AsyncIterator[None]:
    """`serve`'s crash-loop sweep, every 10 ms, for the duration of the block."""
    sweep = asyncio.create_task(fail_served_tasks_of_crashing_roles(
        store, CrashingHere(), heartbeat_timeout_s=15.0, interval_s=0.01))
    try:
        yield
    finally:
        sweep.cancel()


async def status_becomes(store: SqliteStore, task_id: int, status: TaskStatus) -> None:
    for _ in range(500):
        if (await store.get_task(task_id)).status is status:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"task {task_id} is not {status}")


async def _register(store: SqliteStore, clock: FakeClock, worker_id: str,
                    session_id: str | None, up_s: float, *, heard: bool = True) -> None:
    """A worker of role 'planner' on another host, started `up_s` ago, and heard from
    now (`heard`) or not since."""
    clock.now = time.time() - up_s
    await store.register_worker(WorkerInfo(id=worker_id, role="planner", pid=1,
                                           host="elsewhere", session_id=session_id))
    clock.now = time.time()
    if heard:
        await store.heartbeat(worker_id, WorkerBeat(), lease_s=30.0)


async def test_serve_fails_a_crashing_roles_tasks_in_each_session_no_healthy_worker_serves(
    sqlite_store: SqliteStore, clock: FakeClock,
) -> None:
    tasks = {}
    for name in ("served", "alone", "young"):
        session = await sqlite_store.create_session(name, {})
        [tasks[name]] = await sqlite_store.enqueue_plan(session.id, [NewTask(role="planner")])
        if name == "served":
            await _register(sqlite_store, clock, "healthy", session.id, up_s=60.0)
        if name == "young":
            # Up only since a moment: it may be crashing too, and does not count.
            await _register(sqlite_store, clock, "young", session.id, up_s=1.0)
    # This host's own worker never counts as serving the role.
    await _register(sqlite_store, clock, "mine", None, up_s=60.0)

    async with sweeping(sqlite_store):
        await status_becomes(sqlite_store, tasks["alone"], TaskStatus.FAILED)
        await status_becomes(sqlite_store, tasks["young"], TaskStatus.FAILED)

    failed = await sqlite_store.get_task(tasks["alone"])
    assert failed.error is not None
    assert "workers of role 'planner' keep crashing: worker mine exited" in failed.error
    assert failed.attempt == 1
    assert (await sqlite_store.get_task(tasks["served"])).status is TaskStatus.QUEUED


async def test_serve_fails_nothing_while_a_healthy_worker_elsewhere_serves_every_session(
    sqlite_store: SqliteStore, clock: FakeClock,
) -> None:
    session = await sqlite_store.create_session("r", {})
    [task] = await sqlite_store.enqueue_plan(session.id, [NewTask(role="planner")])
    await _register(sqlite_store, clock, "other-host", None, up_s=60.0)
    # Not heard from for a minute: gone, for all anyone knows; it does not count.
    await _register(sqlite_store, clock, "silent", None, up_s=60.0, heard=False)

    async with sweeping(sqlite_store):
        await asyncio.sleep(0.3)
        assert (await sqlite_store.get_task(task)).status is TaskStatus.QUEUED
        await sqlite_store.set_worker_status("other-host", WorkerStatus.STOPPED)
        await status_becomes(sqlite_store, task, TaskStatus.FAILED)


def test_a_role_the_supervisor_said_waits_is_told_of_once_in_plain_output() -> None:
    hint = "start one with: python -m worker --role researcher --home H"
    wanted = Message(id=1, time=time.time(), channel="session:s", kind=WORKER_WANTED,
                     sender="supervisor", body={"role": "researcher", "hint": hint})
    progress = Progress(session_id="s", started=time.time(),
                        by_role={"researcher": Counter(queued=1)})
    plain, live = io.StringIO(), io.StringIO()

    renderer = PlainRenderer(plain)
    progress.track(wanted)
    renderer.event(wanted, progress)
    renderer.snapshot(progress)
    LiveRenderer(live).snapshot(progress)

    assert plain.getvalue().count(f"waiting for a worker of role 'researcher': {hint}") == 1
    assert "no worker for role" not in plain.getvalue()
    assert f"no worker for role researcher yet: {hint}" in live.getvalue()
