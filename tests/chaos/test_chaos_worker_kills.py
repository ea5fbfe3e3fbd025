"""A session of 2,000 tasks on 8 workers while a random worker is SIGKILLed every 300 ms:
every task completes exactly once, every blackboard file is whole, the report is written.
On each backend (tests/chaos/conftest.py).

Longer and larger runs of the same: `python scripts/soak.py`.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from support.chaos import (
    check_blackboard,
    check_completions,
    install_skills,
    kill_workers,
    plan,
)
from support.swarm_processes import open_swarm

pytestmark = pytest.mark.slow

TASKS = 2000
WORKERS = 8
CONCURRENCY = 4
KILL_EVERY_S = 0.3


@pytest.mark.timeout(600)
async def test_random_worker_sigkilled_every_300ms_loses_and_duplicates_nothing(
    tmp_path: Path, backend_url: str | None,
) -> None:
    async with open_swarm(tmp_path, backend_url) as swarm:
        install_skills(swarm)
        report = (await swarm.enqueue(*plan(TASKS)))[-1]
        await swarm.supervise({"researcher": WORKERS, "coordinator": 1},
                              concurrency=CONCURRENCY)
        stop = asyncio.Event()
        killer = asyncio.create_task(kill_workers(swarm, KILL_EVERY_S, random.Random(7), stop))
        try:
            await swarm.wait_for_tasks([report], timeout=500)
        finally:
            stop.set()
            kills = await killer

        listed = await swarm.store.list_tasks(swarm.session_id)
        assert len(listed) == TASKS + 1
        await check_completions(swarm, listed)
        check_blackboard(swarm, listed)
        crashes = await swarm.crashes()
        assert kills >= 5, kills
        assert len(crashes) >= kills // 2, (kills, len(crashes))
        assert any(t.attempt > 1 for t in listed), "no kill ever caught a task in flight"
