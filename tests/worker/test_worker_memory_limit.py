"""A skill that keeps allocating is stopped by a hard memory limit: its worker is killed
past twice `max_rss_mb`, the attempt counts as the task's failure with the reason, and
once the attempts run out the task is dead instead of eating the machine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus
from worker.exit_codes import EXIT_RECYCLE

# 10 MB more every 10 ms, written so that it is resident; it stops at 1.5 GB only to
# spare the machine running the tests when no limit holds.
GROWS = """
    import time

    class Grows:
        def execute(self) -> None:
            held = []
            while True:
                if len(held) < 150:
                    held.append(bytearray(b"x" * 10_000_000))
                time.sleep(0.01)
"""


@pytest.mark.slow
async def test_skill_that_grows_past_the_hard_limit_fails_its_attempts_then_dies(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("grows", GROWS)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="grows", max_attempts=2))
        await swarm.supervise({"r": 1}, max_rss_mb=150.0)

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status is TaskStatus.DEAD
        assert task.attempt == 2
        assert "passed the memory limit" in (task.error or "")
        assert "on every attempt" in (task.error or "")
        crashes = await swarm.crashes()
        assert len(crashes) == 2
        assert all("memory limit" in c.reason for c in crashes)
        requeued = await swarm.messages("task.requeued")
        assert ["memory limit" in m.body["reason"] for m in requeued] == [True]


@pytest.mark.slow
async def test_worker_started_by_hand_past_the_hard_limit_gives_its_task_back_and_ends(
    tmp_path: Path,
) -> None:
    # No supervisor watches a worker started by hand: it watches itself.
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("grows", GROWS)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="grows", max_attempts=1))
        worker = await swarm.start_worker("r", max_rss_mb=150.0)

        [task] = await swarm.wait_for_tasks([task_id])
        code = await asyncio.wait_for(worker.process.wait(), timeout=60)

        assert task.status is TaskStatus.DEAD
        assert f"worker {worker.worker_id} passed the memory limit" in (task.error or "")
        assert code == EXIT_RECYCLE
