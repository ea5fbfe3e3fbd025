"""Stopping workers: SIGTERM gives running tasks their grace period and releases the rest;
a worker whose supervisor was SIGKILLed leaves on its own."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from orchestrator.pids import pid_alive
from support.swarm_processes import HANG_S, open_swarm
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


SUPERVISOR_SCRIPT = """
    import asyncio
    import json
    import sys
    from pathlib import Path

    from orchestrator.supervisor_config import RoleWorkers, SupervisorConfig, WorkerSettings
    from orchestrator.supervisor import Supervisor
    from taskqueue import SqliteStore


    async def main() -> None:
        home, session_id, skills_dir = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
        store = await SqliteStore.open(home / "swarm.db", sender="doomed-supervisor")
        config = SupervisorConfig(
            home=home, session_id=session_id, skills_dirs=[skills_dir],
            roles={"r": RoleWorkers(workers=3)},
            worker=WorkerSettings(heartbeat_s=0.2, lease_s=30.0, grace_s=30.0),
        )
        supervisor = Supervisor(config, store)
        await supervisor.start()
        while len(await store.list_workers()) < 3:
            await store.wait_for_news(0.2)
        print(json.dumps([slot.process.pid for slot in supervisor.slots]), flush=True)
        await asyncio.sleep(3600)


    asyncio.run(main())
"""


@pytest.mark.slow
async def test_workers_leave_within_seconds_of_their_supervisor_being_sigkilled(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("slow", SLOW_SKILL)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="slow", input={"seconds": 600}))
        script = tmp_path / "supervise.py"
        script.write_text(textwrap.dedent(SUPERVISOR_SCRIPT), encoding="utf-8")
        with open(tmp_path / "supervisor.log", "wb") as log:
            supervisor = await asyncio.create_subprocess_exec(
                sys.executable, str(script), str(swarm.home), swarm.session_id,
                str(swarm.skills_dir), stdout=asyncio.subprocess.PIPE, stderr=log)
        pids: list[int] = []
        try:
            assert supervisor.stdout is not None
            pids = json.loads(await asyncio.wait_for(supervisor.stdout.readline(), HANG_S))
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
