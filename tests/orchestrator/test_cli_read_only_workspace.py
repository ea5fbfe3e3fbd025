"""A read-only copy of a workspace can still be read: `sessions` and `status` work."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.workspace import Workspace
from support.cli import cli_env
from support.dashboard import seed_session
from support.nobody import as_nobody, skip_if_not_dropped
from taskqueue import NewTask, StoreError

# Runs the command line as `nobody` when started as root: permission bits bind it.
AS_NOBODY = as_nobody(imports="""
    import runpy, signal, sys
    import orchestrator.cli, orchestrator.views, taskqueue.sqlite
""", code="""
    sys.argv = ["swarm", *sys.argv[1:]]
    runpy.run_module("orchestrator", run_name="__main__")
""")


@pytest.fixture
def read_only_copy(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A workspace with one session, copied where anyone can reach it, then `chmod -R a-w`."""
    home = tmp_path / "ws"
    home.mkdir()
    session, _ = seed_session(home, [NewTask(role="researcher", title="Read me")])
    base = Path(tempfile.mkdtemp(prefix="swarm-ro-"))
    base.chmod(0o755)
    copy = base / "ws"
    shutil.copytree(home, copy)
    for item in [*copy.rglob("*"), copy]:
        item.chmod(0o555 if item.is_dir() else 0o444)
    yield copy, session
    for item in [copy, *copy.rglob("*")]:
        item.chmod(0o755 if item.is_dir() else 0o644)
    shutil.rmtree(base)


def swarm_as_nobody(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", AS_NOBODY, *args, "--home", str(home)], cwd=home.parent,
        env=cli_env(), capture_output=True, text=True, timeout=60)


def test_sessions_and_status_read_a_workspace_that_cannot_be_written(
    read_only_copy: tuple[Path, str],
) -> None:
    home, session = read_only_copy

    listed = swarm_as_nobody(home, "sessions")
    status = swarm_as_nobody(home, "status", session)

    skip_if_not_dropped(listed.returncode, listed.stdout)
    assert listed.returncode == 0, listed.stderr
    assert session in listed.stdout
    assert status.returncode == 0, status.stderr
    assert "Read me" in status.stdout


def test_store_opened_read_only_reads_and_refuses_a_write_in_one_line(
    read_only_copy: tuple[Path, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As root, permission bits stop nothing: the read-only open is forced here.
    home, session = read_only_copy
    ws = Workspace(home)
    monkeypatch.setattr(Workspace, "store_writable", lambda _self: False)

    async def read_then_write() -> None:
        store = await ws.open_store()
        try:
            assert [s.id for s in await store.list_sessions()] == [session]
            [task] = await store.list_tasks(session)
            assert task.title == "Read me"
            with pytest.raises(StoreError, match=str(ws.db_path)):
                await store.cancel_task(task.id, "no")
        finally:
            await store.close()

    asyncio.run(read_then_write())
