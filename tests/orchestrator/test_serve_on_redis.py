"""Two hosts on one Redis store: `swarm serve` keeps the workers, `run --no-workers`
starts none and is served by them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
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


def cited_files(text: str) -> set[str]:
    """The corpus files a report cites, as `[path:lines]`."""
    return set(re.findall(r"\[([\w./-]+\.\w+):\d+(?:-\d+)?\]", text))


@pytest.mark.slow
async def test_run_without_workers_is_served_by_a_host_with_another_home(
    redis_url: str, tmp_path: Path, request: pytest.FixtureRequest,
) -> None:
    await flushed(redis_url)
    home = tmp_path / "orchestrator-host"
    corpus = tmp_path / "orchestrator-corpus"
    shutil.copytree(REPO / "corpus", corpus)

    running = await asyncio.to_thread(
        subprocess.Popen, swarm(redis_url, "run", "How do leases work?", "--no-workers",
                                "--corpus", str(corpus), "--home", str(home)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    # The session id is printed once the corpus is in the store and the tasks queued;
    # only then does the serving host start, and the corpus is gone from this disk: the
    # serving host can read it only from the store.
    session_id = (await asyncio.to_thread(running.stdout.readline)).strip()  # type: ignore[union-attr]
    shutil.rmtree(corpus)
    serving_home = request.getfixturevalue("served_host")
    try:
        out, err = await asyncio.to_thread(running.communicate, timeout=HANG_S)
    finally:
        running.kill()
    listed = await asyncio.to_thread(
        subprocess.run, swarm(redis_url, "workers", "--home", str(home), "--json"),
        capture_output=True, text=True, timeout=HANG_S, cwd=REPO, check=False)

    assert running.returncode == 0, err[-2000:]
    report = Path(out.strip().splitlines()[-1])
    assert report.is_relative_to(home / "blackboard" / session_id)
    cited = cited_files(report.read_text())
    assert cited, "the report cites no corpus file"
    assert all((REPO / "corpus" / path).is_file() for path in cited), cited
    # The serving host built the snapshot under its own home and searched that.
    [snapshot] = (serving_home / "corpus").iterdir()
    assert snapshot_files(snapshot) == snapshot_files(REPO / "corpus")
    assert (serving_home / "index" / f"snapshot-{snapshot.name}.db").is_file()
    # The run started no worker: every worker log is the serving host's.
    assert not list((home / "logs").glob("*.log"))
    assert list((serving_home / "logs").glob("all-*.log"))
    session_dir = serving_home / "blackboard" / session_id
    served = {p.relative_to(session_dir) for p in session_dir.rglob("*.md")}
    assert served, "the workers wrote nothing"
    for relative in served:
        mine = home / "blackboard" / session_dir.name / relative
        assert mine.read_text() == (session_dir / relative).read_text(), relative
    workers = json.loads(listed.stdout)
    assert {w["role"] for w in workers} == {role.name for role in ROLES}
    assert {w["host"] for w in workers} == {socket.gethostname()}
    assert all(w["pid"] > 0 and w["session_id"] is None for w in workers)


def snapshot_files(root: Path) -> set[str]:
    """The corpus files a snapshot holds (the text files the index reads)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and not p.name.startswith(".")}
