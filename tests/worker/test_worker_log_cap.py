"""A worker's log is capped: whatever its skills print, the log and its one backup each
stay within `max_log_mb`, and what the worker said last before it left is in the log,
however it left (stopped, `os._exit` past a stuck thread, `sys.exit`, an uncaught error)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus
from worker.exit_codes import EXIT_CANNOT_START, EXIT_RECYCLE
from worker.output_log import backup_of

MB = 2**20

# 100 bytes a line: 10,000 lines a megabyte (of 10^6 bytes), from the skill's thread and
# from a child process of it.
FLOOD = """
    import subprocess

    class Flood:
        def execute(self, megabytes: int) -> str:
            line = "x" * 99
            for _ in range(megabytes * 10_000):
                print(line)
            subprocess.run(["echo", "printed by a child of the skill"], check=True)
            print("printed last by the skill", flush=True)
            return "flooded"
"""
STUCK = """
    import time

    class Stuck:
        def execute(self) -> None:
            print("the stuck skill started", flush=True)
            time.sleep(120)
"""


@pytest.mark.slow
async def test_skill_printing_20_mb_leaves_a_log_and_backup_within_1_mb_each(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("flood", FLOOD)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="flood",
                                                input={"megabytes": 20}))
        supervisor = await swarm.supervise({"r": 1}, max_log_mb=1.0)

        [task] = await swarm.wait_for_tasks([task_id])
        await supervisor.stop()

        assert task.status is TaskStatus.DONE, await swarm.describe()
        # The path the supervisor opened is the one the worker wrote and rotated.
        [log] = swarm.worker_logs()
        assert log.stat().st_size <= MB
        assert backup_of(log).stat().st_size <= MB
        newest = backup_of(log).read_text() + log.read_text()
        assert "printed by a child of the skill" in newest
        assert "printed last by the skill" in newest
        last_line = log.read_text().splitlines()[-1]
        assert last_line.endswith(f"worker {supervisor.slots[0].worker_id} exits with status 0")


@pytest.mark.slow
async def test_worker_leaving_by_os_exit_past_a_stuck_thread_keeps_its_last_line(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("stuck", STUCK)
        await swarm.enqueue(NewTask(role="r", skill="stuck", timeout_s=1, max_attempts=1))
        log = swarm.home / "logs" / "r-hand-0.log"
        worker = await swarm.start_worker("r", "--log-file", str(log), max_log_mb=1.0)

        assert await worker.wait() == EXIT_RECYCLE

        lines = log.read_text().splitlines()
        assert "the stuck skill started" in lines
        assert lines[-1].endswith(f"worker {worker.worker_id} exits with status {EXIT_RECYCLE}")


async def test_worker_refusing_to_start_says_why_in_its_log(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        log = swarm.home / "logs" / "human-hand-0.log"
        worker = await swarm.start_worker("human", "--log-file", str(log))

        assert await worker.wait() == EXIT_CANNOT_START
        assert "worker: no worker runs role 'human'" in log.read_text()


async def test_worker_dying_of_an_uncaught_error_at_start_keeps_its_traceback(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        log = swarm.home / "logs" / "r-hand-0.log"
        # A level logging does not know: `logging.basicConfig` raises ValueError.
        worker = await swarm.start_worker("r", "--log-file", str(log),
                                          env={**os.environ, "SWARM_LOG_LEVEL": "bogus"})

        assert await worker.wait() == 1
        text = log.read_text()
        assert "Traceback (most recent call last)" in text
        assert text.splitlines()[-1] == "ValueError: Unknown level: 'bogus'"
