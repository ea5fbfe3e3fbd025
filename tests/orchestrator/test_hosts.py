"""`swarm serve`'s configuration, and the notes a run without workers shows while a role
has no worker anywhere."""

from __future__ import annotations

import io
import time
from collections import Counter
from pathlib import Path

import pytest

from orchestrator.config import SwarmConfig
from orchestrator.follow import Progress, unserved_roles
from orchestrator.hosts import serve_config
from orchestrator.progress import LiveRenderer, PlainRenderer
from orchestrator.workspace import Workspace
from skills.roles import ROLES
from taskqueue import NewTask, SqliteStore, SwarmError, WorkerInfo


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
    progress = Progress(session_id=session.id, started=0.0, by_role={
        role: Counter(queued=1) for role in ("researcher", "analyst", "human")})

    assert await unserved_roles(sqlite_store, progress) == ["researcher"]


def test_the_unserved_roles_are_noted_once_in_plain_output_and_always_in_the_live_block(
) -> None:
    progress = Progress(session_id="s", started=time.time(),
                        by_role={"researcher": Counter(queued=1)}, unserved=["researcher"])
    plain, live = io.StringIO(), io.StringIO()

    renderer = PlainRenderer(plain)
    renderer.snapshot(progress)
    renderer.snapshot(progress)
    LiveRenderer(live).snapshot(progress)

    assert plain.getvalue().count("no worker for role researcher yet") == 1
    assert "no worker for role researcher yet" in live.getvalue()
