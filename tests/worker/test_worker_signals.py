"""Stopping workers: SIGTERM gives running tasks their grace period and releases the rest;
a worker whose supervisor was SIGKILLed leaves on its own."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from orchestrator.pids import pid_alive
from support.doomed_supervisor import start_doomed_supervisor
from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus, WorkerStatus

SLOW_SKILL = """
    import asyncio

    class Slow:
        async def execute(self, ctx):
            await asyncio.sleep(ctx.input["seconds"])
            return f"slept {ctx.input['seconds']} s"
"""


async def test_sigterm_lets_running_task_finish_within_grace(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("slow", SLOW_SKILL)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="slow", input={"seconds": 1.5}))
        worker = await swarm.start_worker("r", grace_s=60.0)
        await swarm.wait_for_tasks([task_id], [TaskStatus.RUNNING])

        worker.process.send_signal(signal.SIGTERM)
        code = await worker.wait()

        assert code == 0
        task = await swarm.task(task_id)
        assert task.status is TaskStatus.DONE
        assert task.attempt == 1
        assert swarm.output_of(task).body == "slept 1.5 s\n"
        [info] = await swarm.store.list_workers(include_stopped=True)
        assert info.status is WorkerStatus.STOPPED


async def test_sigterm_releases_task_still_running_after_grace(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("slow", SLOW_SKILL)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="slow", input={"seconds": 600}))
        worker = await swarm.start_worker("r", grace_s=0.2)
        await swarm.wait_for_tasks([task_id], [TaskStatus.RUNNING])

        worker.process.send_signal(signal.SIGTERM)
        code = await worker.wait()

        assert code == 0
        task = await swarm.task(task_id)
        assert task.status is TaskStatus.QUEUED
        assert task.attempt == 1  # the lost attempt counts
        assert task.lease_owner is None
        [info] = await swarm.store.list_workers(include_stopped=True)
        assert info.status is WorkerStatus.STOPPED
        requeued = await swarm.messages("task.requeued")
        assert [(m.body["task_id"], m.body["attempt"]) for m in requeued] == [(task_id, 1)]


@pytest.mark.slow
async def test_workers_leave_within_seconds_of_their_supervisor_being_sigkilled(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("slow", SLOW_SKILL)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="slow", input={"seconds": 600}))
        supervisor, pids = await start_doomed_supervisor(swarm, tmp_path, workers=3)
        try:
            await swarm.wait_for_tasks([task_id], [TaskStatus.RUNNING])

            supervisor.kill()
            assert await supervisor.wait() == -signal.SIGKILL

            # The workers' own grace (30 s) is cut short: an orphan leaves within ~2 s.
            await swarm.wait_until(lambda: not any(pid_alive(pid) for pid in pids),
                                   what=f"workers {pids} to exit")
        finally:
            if supervisor.returncode is None:
                supervisor.kill()
                await supervisor.wait()
            for pid in pids:
                if pid_alive(pid):
                    os.kill(pid, signal.SIGKILL)

        assert len(pids) == 3
        task = await swarm.task(task_id)
        assert task.status is TaskStatus.QUEUED
        assert task.lease_owner is None
        workers = await swarm.store.list_workers(include_stopped=True)
        assert sorted(w.pid for w in workers) == sorted(pids)
        assert {w.status for w in workers} == {WorkerStatus.STOPPED}
