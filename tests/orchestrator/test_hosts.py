"""`swarm serve`'s configuration, and the notes a run shows while a role waits for a
worker."""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path

import pytest

from orchestrator.config import SwarmConfig
from orchestrator.follow import Progress
from orchestrator.hosts import serve_config
from orchestrator.progress import LiveRenderer, PlainRenderer
from orchestrator.unserved_roles import SERVE_HINT, WORKER_WANTED, unserved_roles
from orchestrator.workspace import Workspace
from skills.roles import ROLES
from taskqueue import Message, NewTask, SqliteStore, SwarmError, WorkerInfo


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
