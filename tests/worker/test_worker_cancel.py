"""Cancelling a task whose sync skill is stuck: its thread cannot be stopped, so the worker
gives the task up and leaves at once instead of waiting for the thread (which would keep
the worker, and whoever stops it, waiting until the grace period and a SIGKILL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from support.swarm_processes import HANG_S, open_swarm
from taskqueue import NewTask, TaskStatus
from worker.exit_codes import EXIT_RECYCLE

STUCK = """
    import time

    class Stuck:
        def execute(self) -> str:
            time.sleep(600)
            return "never"
"""

# A worker that waited for its grace period or a silence limit would wait this long: a
# pass proves neither was waited for.
LONG_S = 600.0


async def test_cancelled_task_of_a_stuck_sync_skill_makes_its_worker_leave_at_once(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("stuck", STUCK)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="stuck"))
        supervisor = await swarm.supervise(
            {"r": 1}, grace_s=LONG_S, heartbeat_timeout_s=LONG_S, stop_timeout_s=LONG_S)
        first = supervisor.slots[0].process
        assert first is not None
        await swarm.wait_for_tasks([task_id], [TaskStatus.RUNNING])

        assert await swarm.store.cancel_session(swarm.session_id, "cancelled by the test") == 1
        code = await asyncio.wait_for(first.wait(), HANG_S)
        await asyncio.wait_for(supervisor.stop(), HANG_S)

        # It left on its own, asking to be replaced: nobody had to kill it.
        assert code == EXIT_RECYCLE
        task = await swarm.task(task_id)
        assert (task.status, task.attempt, task.error) == (
            TaskStatus.CANCELLED, 1, "cancelled by the test")
        assert swarm.log_lines("cancelling its run")
        assert swarm.log_lines("its sync skill's thread cannot be stopped")
        assert await swarm.crashes() == []


async def test_worker_stopped_with_a_cancelled_stuck_sync_skill_exits_without_a_kill(
    tmp_path: Path,
) -> None:
    """SIGTERM first, then the cancel: the stopping worker does not wait out its grace
    period for a thread that will never end."""
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("stuck", STUCK)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="stuck"))
        worker = await swarm.start_worker("r", grace_s=LONG_S)
        await swarm.wait_for_tasks([task_id], [TaskStatus.RUNNING])

        worker.process.terminate()
        await swarm.wait_until(lambda: swarm.log_lines("stopping"), what="the worker to stop")
        await swarm.store.cancel_task(task_id, "cancelled by the test")
        code = await worker.wait()

        assert code == 0
        task = await swarm.task(task_id)
        assert (task.status, task.attempt) == (TaskStatus.CANCELLED, 1)
