"""Two hosts on one Redis store: `swarm serve` keeps the workers, `run --no-workers`
starts none and is served by them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from skills.roles import ROLES

REPO = Path(__file__).resolve().parents[2]
# Only stops a hang: a passing test never waits this long.
HANG_S = 300


def swarm(redis_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "orchestrator", "--store", redis_url, *args]


@pytest.fixture
def served_host(redis_url: str, tmp_path: Path) -> Iterator[Path]:
    """`swarm serve` with one worker per role and a home of its own; stopped and reaped."""
    home = tmp_path / "serving-host"
    counts = [arg for role in ROLES for arg in ("--workers", f"{role.name}=1")]
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(swarm(redis_url, "serve", "--home", str(home), *counts),
                               stdout=log, stderr=log, cwd=REPO, start_new_session=True)
    try:
        yield home
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            code = process.wait(timeout=HANG_S)
        finally:
            log.close()
        assert code == 0, (tmp_path / "serve.log").read_text()[-2000:]


async def flushed(redis_url: str) -> None:
    from taskqueue.redis import RedisStore

    async with await RedisStore.open(redis_url) as store:
        await store.flush()


@pytest.mark.slow
async def test_run_without_workers_is_served_by_a_host_with_another_home(
    redis_url: str, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    await flushed(redis_url)
    serving_home = request.getfixturevalue("served_host")
    home = tmp_path / "orchestrator-host"

    finished = await asyncio.to_thread(
        subprocess.run,
        swarm(redis_url, "run", "How do leases work?", "--no-workers",
              "--corpus", str(REPO / "corpus"), "--home", str(home)),
        capture_output=True, text=True, timeout=HANG_S, cwd=REPO, check=False)
    listed = await asyncio.to_thread(
        subprocess.run, swarm(redis_url, "workers", "--home", str(home), "--json"),
        capture_output=True, text=True, timeout=HANG_S, cwd=REPO, check=False)

    assert finished.returncode == 0, finished.stderr[-2000:]
    report = Path(finished.stdout.strip().splitlines()[-1])
    assert report.is_relative_to(home)
    assert report.read_text().strip()
    # The run started no worker: every worker log is the serving host's.
    assert not list((home / "logs").glob("*.log"))
    assert list((serving_home / "logs").glob("all-*.log"))
    [session_dir] = (serving_home / "blackboard").iterdir()
    served = {p.relative_to(session_dir) for p in session_dir.rglob("*.md")}
    assert served, "the workers wrote nothing"
    for relative in served:
        mine = home / "blackboard" / session_dir.name / relative
        assert mine.read_text() == (session_dir / relative).read_text(), relative
    workers = json.loads(listed.stdout)
    assert {w["role"] for w in workers} == {role.name for role in ROLES}
    assert {w["host"] for w in workers} == {socket.gethostname()}
    assert all(w["pid"] > 0 and w["session_id"] is None for w in workers)
