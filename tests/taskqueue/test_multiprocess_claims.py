"""Several processes claiming from one database: each task completes exactly once.

The consumers are real processes (`claim_process.py`) with their own stores; the checks
read the queue and the bus afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

import taskqueue
from support.store_contract import all_messages
from taskqueue import NewTask, SqliteStore, TaskStatus, session_channel

pytestmark = pytest.mark.slow

REPO = Path(taskqueue.__file__).resolve().parents[1]
CONSUMER = Path(__file__).with_name("claim_process.py")


async def seed(path: Path, count: int, max_attempts: int = 3) -> tuple[str, list[int]]:
    async with await SqliteStore.open(path) as store:
        session = await store.create_session("many tasks", {})
        ids = await store.enqueue_plan(session.id, [
            NewTask(role="r", input={"n": n}, max_attempts=max_attempts) for n in range(count)
        ])
    return session.id, ids


async def start_consumer(
    path: Path, folder: Path, index: int, sleep_batches: int, lease_s: float,
    go: Path | None = None,
) -> tuple[asyncio.subprocess.Process, Path]:
    """A consumer; with `go`, it waits for that file before its first claim."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    out = folder / f"consumer-{index}.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(CONSUMER), str(path), f"w{index}", str(out), str(lease_s),
        str(sleep_batches), str(1000 + index), *([str(go)] if go else []), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    return process, out


async def start_together(consumers: list[tuple[asyncio.subprocess.Process, Path]],
                         go: Path) -> None:
    """Let consumers started with `go` claim once every one has opened its store: a
    consumer can drain the queue before the next one's interpreter has started."""
    try:
        async with asyncio.timeout(60):
            while not all(Path(f"{out}.ready").exists()  # noqa: ASYNC110 - other processes'
                          for _, out in consumers):
                await asyncio.sleep(0.01)
    except BaseException:
        await stop(consumers)
        raise
    go.touch()


async def first_claim_by(store: SqliteStore, session_id: str, worker: str) -> None:
    """Return once `worker` has started a task (seen on the bus)."""
    offset = 0
    while True:
        for message in await store.read([session_channel(session_id)], offset):
            offset = message.id
            if message.kind == "task.started" and message.body["worker"] == worker:
                return
        await store.wait_for_news(0.05)


async def stop(consumers: list[tuple[asyncio.subprocess.Process, Path]]) -> None:
    """Kill and reap the consumers still running (after a failure or a hang)."""
    for process, _ in consumers:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def finish(
    consumers: list[tuple[asyncio.subprocess.Process, Path]], timeout_s: float
) -> list[dict[str, Any]]:
    """Wait for every consumer; each must exit 0 with no lock error on stderr."""
    try:
        outputs = await asyncio.wait_for(
            asyncio.gather(*(process.communicate() for process, _ in consumers)), timeout_s)
    finally:
        await stop(consumers)
    for (process, _), (_out, err) in zip(consumers, outputs, strict=True):
        stderr = err.decode()
        assert process.returncode == 0, stderr
        assert "locked" not in stderr.lower(), stderr
        assert "Traceback" not in stderr, stderr
    return [json.loads(out.read_text()) for _, out in consumers]


async def queue_and_bus(path: Path, session_id: str) -> tuple[dict[int, Any], list[Any]]:
    async with await SqliteStore.open(path) as store:
        tasks = {t.id: t for t in await store.list_tasks(session_id)}
        messages = await all_messages(store, [session_channel(session_id)])
    return tasks, messages


def started_attempts(messages: list[Any]) -> dict[int, list[int]]:
    attempts: dict[int, list[int]] = defaultdict(list)
    for message in messages:
        if message.kind == "task.started":
            attempts[message.body["task_id"]].append(message.body["attempt"])
    return attempts


async def test_four_processes_complete_5000_tasks_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "swarm.db"
    session_id, ids = await seed(path, 5000)

    go = tmp_path / "go"
    consumers = [await start_consumer(path, tmp_path, i, 0, 60.0, go) for i in range(4)]
    await start_together(consumers, go)
    reports = await finish(consumers, 100)

    tasks, messages = await queue_and_bus(path, session_id)
    assert sorted(tasks) == ids
    assert {t.status for t in tasks.values()} == {TaskStatus.DONE}
    assert {t.attempt for t in tasks.values()} == {1}
    claims = Counter(task_id for report in reports for task_id, _ in report["claimed"])
    assert claims == Counter(ids), "a task was claimed twice, or never"
    assert sum(ok for report in reports for _, _, ok in report["completed"]) == 5000
    # The bus: one start, of attempt 1, and one done per task; no task leased twice.
    assert started_attempts(messages) == {task_id: [1] for task_id in ids}
    done = Counter(m.body["task_id"] for m in messages if m.kind == "task.done")
    assert done == Counter(ids)
    assert sum(1 for report in reports if report["claimed"]) >= 2, "no two consumers overlapped"


async def test_expired_leases_are_taken_back_and_late_completions_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "swarm.db"
    session_id, ids = await seed(path, 300, max_attempts=100)

    async with await SqliteStore.open(path, sender="supervisor") as supervisor:
        # The consumer that completes late claims first, so that some leases surely lapse.
        consumers = [await start_consumer(path, tmp_path, 0, 4, lease_s=0.2)]
        try:
            await asyncio.wait_for(first_claim_by(supervisor, session_id, "w0"), 30)
        except BaseException:
            await stop(consumers)
            raise
        consumers.append(await start_consumer(path, tmp_path, 1, 0, lease_s=0.2))
        waiting = asyncio.ensure_future(finish(consumers, 100))
        while not waiting.done():
            await supervisor.requeue_expired()
            await asyncio.sleep(0.05)
    reports = await waiting

    tasks, messages = await queue_and_bus(path, session_id)
    assert {t.status for t in tasks.values()} == {TaskStatus.DONE}
    completions = [c for report in reports for c in report["completed"]]
    counted = Counter(task_id for task_id, _, ok in completions if ok)
    assert counted == Counter(ids), "a task completed twice, or never"
    for task_id, attempt, ok in completions:
        assert bool(ok) == (attempt == tasks[task_id].attempt), (task_id, attempt, ok)
    assert any(not ok for _, _, ok in completions), "no completion came after its lease"
    # Every attempt was started once, in order, and every extra one followed a requeue.
    assert started_attempts(messages) == {
        t.id: list(range(1, t.attempt + 1)) for t in tasks.values()}
    requeued = Counter(m.body["task_id"] for m in messages if m.kind == "task.requeued")
    assert {t.id: requeued[t.id] for t in tasks.values()} == {
        t.id: t.attempt - 1 for t in tasks.values()}
    assert max(t.attempt for t in tasks.values()) > 1
