"""`workers` and the dashboard's workers panel: a worker registered as live whose process
is gone is not shown as live; one silent past the heartbeat timeout is marked."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from orchestrator.dashboard.snapshot import workers_view
from support.cli import swarm
from taskqueue import SqliteStore, WorkerInfo, WorkerStatus


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def _register(home: Path, *workers: WorkerInfo) -> None:
    store = await SqliteStore.open(home / "swarm.db", sender="test")
    try:
        for worker in workers:
            await store.register_worker(worker)
    finally:
        await store.close()


async def test_workers_hides_a_dead_process_and_marks_a_silent_one(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    host = socket.gethostname()
    await _register(
        home,
        WorkerInfo(id="r-gone", role="r", pid=_dead_pid(), host=host),
        WorkerInfo(id="r-silent", role="r", pid=os.getpid(), host=host),
        WorkerInfo(id="r-alive", role="r", pid=os.getpid(), host=host),
    )
    with sqlite3.connect(home / "swarm.db") as conn:
        conn.execute("UPDATE workers SET heartbeat_at = ? WHERE id = 'r-silent'",
                     (time.time() - 3600,))

    listed = json.loads(swarm("workers", "--json", home=home).stdout)
    text = swarm("workers", home=home).stdout

    assert [(w["id"], w["silent"]) for w in listed] == [("r-silent", True), ("r-alive", False)]
    assert "r-gone" not in text
    assert "1h ago, silent" in text


def test_dashboard_shows_a_live_record_of_a_dead_process_as_dead() -> None:
    host = socket.gethostname()
    gone = WorkerInfo(id="r.0-aaaaaa", role="r", pid=_dead_pid(), host=host, session_id="s1",
                      status=WorkerStatus.RUNNING, started_at=100, heartbeat_at=101)
    hand = WorkerInfo(id="r-77-ab", role="r", pid=_dead_pid(), host=host, session_id=None,
                      status=WorkerStatus.RUNNING, started_at=90, heartbeat_at=91)

    rows = workers_view([gone, hand], "s1", now=200)

    assert [(r["id"], r["status"]) for r in rows] == [("r.0-aaaaaa", "dead")]
