"""A skill file edited while a worker runs: the next task runs the new code, in the same
process."""

from __future__ import annotations

import os
from pathlib import Path

from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus

VERSIONED = """
    class Versioned:
        def execute(self) -> str:
            return "{version}"
"""


async def test_edited_skill_file_is_used_by_the_next_task_in_the_same_worker(
    tmp_path: Path,
) -> None:
    # With bytecode caching on, as it is for users: Python's cache keys on whole seconds and
    # size, which an edit within the same second that keeps the size does not change.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    async with open_swarm(tmp_path) as swarm:
        path = swarm.skill("versioned", VERSIONED.format(version="v1"))
        worker = await swarm.start_worker("r", env=env)
        [first_id] = await swarm.enqueue(NewTask(role="r", skill="versioned"))
        [first] = await swarm.wait_for_tasks([first_id])

        before = path.stat().st_mtime_ns
        swarm.skill("versioned", VERSIONED.format(version="v2"))
        os.utime(path, ns=(before + 1000, before + 1000))
        [second_id] = await swarm.enqueue(NewTask(role="r", skill="versioned"))
        [second] = await swarm.wait_for_tasks([second_id])

        assert (first.status, second.status) == (TaskStatus.DONE, TaskStatus.DONE)
        outputs = [swarm.output_of(first), swarm.output_of(second)]
        assert [o.body for o in outputs] == ["v1\n", "v2\n"]
        assert [o.front_matter.worker for o in outputs if o.front_matter] == [
            worker.worker_id, worker.worker_id]
        assert worker.process.returncode is None
        [info] = await swarm.store.list_workers()
        assert info.pid == worker.pid
