"""A skill file broken by an edit while a worker runs: the worker keeps its last good
version, so the session's remaining tasks still run."""

from __future__ import annotations

import os
from pathlib import Path

from support.swarm_processes import open_swarm
from taskqueue import WORKERS_CHANNEL, NewTask, TaskStatus

VERSIONED = """
    class Versioned:
        def execute(self) -> str:
            return "v1"
"""


async def test_syntax_error_saved_over_a_skill_leaves_its_last_good_version_running(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        path = swarm.skill("versioned", VERSIONED)
        worker = await swarm.start_worker("r")
        [first_id] = await swarm.enqueue(NewTask(role="r", skill="versioned"))
        await swarm.wait_for_tasks([first_id])

        before = path.stat().st_mtime_ns
        swarm.skill("versioned", "class Versioned(:\n")
        os.utime(path, ns=(before + 1000, before + 1000))
        rest = await swarm.enqueue(*[NewTask(role="r", skill="versioned") for _ in range(3)])
        done = await swarm.wait_for_tasks(rest)

        assert [t.status for t in done] == [TaskStatus.DONE] * 3
        assert [swarm.output_of(t).body for t in done] == ["v1\n"] * 3
        assert worker.process.returncode is None
        log = "".join(p.read_text() for p in swarm.worker_logs())
        assert f"{path}:1: failed to import: SyntaxError" in log
        assert "the last good version stays loaded (versioned)" in log
        said = [m.body for m in await swarm.store.read([WORKERS_CHANNEL], after=0, limit=1000)
                if m.kind == "skill.load_failed"]
        assert [(b["worker"], b["origin"]) for b in said] == [(worker.worker_id, str(path))]
        assert "the last good version stays loaded (versioned)" in said[0]["error"]
