"""A worker leaves nothing behind: orphaned (its supervisor SIGKILLed) it is gone within
seconds whatever its sync skill is doing, its task back in the queue; and a skill's
child process that ignores SIGTERM does not outlive the worker."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from orchestrator.pids import pid_alive
from orchestrator.session_run import release_leases_of_dead_workers
from support.doomed_supervisor import start_doomed_supervisor
from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus

# A hang timeout: an orphan leaves within a few seconds; this only stops a hang.
ORPHAN_HANG_S = 30.0

STUCK_IN_SYNC_CODE = {
    "sleeping": """
        import time

        class Stuck:
            def execute(self) -> None:
                time.sleep(600)
    """,
    "spinning": """
        class Stuck:
            def execute(self) -> None:
                while True:
                    pass
    """,
    # A regular expression that backtracks for ages, holding the GIL all the while.
    "holding the GIL": """
        import re

        class Stuck:
            def execute(self) -> None:
                re.match(r"(a+)+$", "a" * 64 + "b")
    """,
}

# A child that ignores SIGTERM (as a shell script with `trap '' TERM` does), its pid
# written down, and then the skill blocks.
SPAWNS_STUBBORN_CHILD = """
    import subprocess
    import time
    from pathlib import Path

    class Spawner:
        def execute(self, pid_file: str) -> None:
            child = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 300 & wait"])
            Path(pid_file).write_text(str(child.pid))
            time.sleep(600)
"""


@pytest.mark.slow
@pytest.mark.parametrize("stuck", list(STUCK_IN_SYNC_CODE))
async def test_orphan_stuck_in_a_sync_skill_leaves_and_gives_its_task_back(
    tmp_path: Path, stuck: str,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("stuck", STUCK_IN_SYNC_CODE[stuck])
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="stuck"))
        supervisor, pids = await start_doomed_supervisor(swarm, tmp_path, workers=1)
        try:
            await swarm.wait_for_tasks([task_id], [TaskStatus.RUNNING])

            supervisor.kill()
            await supervisor.wait()

            await swarm.wait_until(lambda: not any(pid_alive(pid) for pid in pids),
                                   timeout=ORPHAN_HANG_S, what=f"worker {pids} to exit")
        finally:
            if supervisor.returncode is None:
                supervisor.kill()
                await supervisor.wait()
            for pid in pids:
                if pid_alive(pid):
                    os.killpg(pid, signal.SIGKILL)

        if stuck == "holding the GIL":
            # No Python code ran again: the kernel ended it (SIGALRM), its lease still held;
            # the next run or resume gives it back, as for any worker gone unannounced.
            assert await release_leases_of_dead_workers(swarm.store) == [task_id]
        task = await swarm.task(task_id)
        assert task.status is TaskStatus.QUEUED
        assert task.lease_owner is None
        assert task.attempt == 1


@pytest.mark.slow
@pytest.mark.parametrize("started", ["by its supervisor", "by hand"])
async def test_skill_child_that_ignores_sigterm_is_gone_once_its_worker_stops(
    tmp_path: Path, started: str,
) -> None:
    pid_file = tmp_path / "child.pid"
    child = 0
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("spawner", SPAWNS_STUBBORN_CHILD)
        await swarm.enqueue(NewTask(role="r", skill="spawner",
                                    input={"pid_file": str(pid_file)}))
        if started == "by hand":
            # In a group of its own (as a service manager would start it), not a shell's.
            worker = await swarm.start_worker("r")
        else:
            supervisor = await swarm.supervise({"r": 1})
        # The file exists a moment before the pid is in it.
        await swarm.wait_until(lambda: pid_file.exists() and pid_file.read_text() != "",
                               what="the skill to start its child")
        child = int(pid_file.read_text())
        assert pid_alive(child)

        if started == "by hand":
            worker.process.send_signal(signal.SIGTERM)
            await worker.wait()
        else:
            await supervisor.stop()

        try:
            assert not pid_alive(child), f"the skill's child {child} outlived its worker"
        finally:
            if pid_alive(child):
                os.kill(child, signal.SIGKILL)
