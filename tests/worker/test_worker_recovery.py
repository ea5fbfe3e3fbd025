"""The supervisor's side of recovery: hung workers are killed, crash loops reported, a
worker past its memory ceiling replaced, and a crashed attempt's checkpoint handed on."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus, WorkerStatus


@pytest.mark.slow
async def test_checkpoint_saved_by_crashed_attempt_is_restored_in_the_next(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("resumable", """
            import os

            class Resumable:
                async def execute(self, ctx):
                    if ctx.attempt == 1:
                        await ctx.checkpoint({"step": 3})
                        os._exit(1)
                    ctx.blackboard.write("findings/restored.md", repr(ctx.restored))
                    return {"restored": ctx.restored}
        """)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="resumable"))
        await swarm.supervise({"r": 1})

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status is TaskStatus.DONE
        assert task.attempt == 2
        assert swarm.board.read("findings/restored.md").body == "{'step': 3}"
        assert '"restored": {\n    "step": 3\n  }' in swarm.output_of(task).body
        [crash] = await swarm.crashes()
        assert crash.released == [task_id]


@pytest.mark.slow
async def test_hung_worker_is_killed_for_missing_heartbeats_and_its_task_released(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("hang", """
            import time

            class Hang:
                async def execute(self, ctx):
                    if ctx.attempt == 1:
                        time.sleep(1000)  # blocks the event loop: no more heartbeats
                    return "recovered"
        """)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="hang", max_attempts=2))
        # A lease far longer than the heartbeat timeout: only the kill can release the task.
        supervisor = await swarm.supervise({"r": 1}, lease_s=60.0)
        hung = supervisor.slots[0].process
        assert hung is not None

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status is TaskStatus.DONE
        assert task.attempt == 2
        assert swarm.output_of(task).body == "recovered\n"
        assert await hung.wait() == -9
        [crash] = await swarm.crashes()
        assert (crash.pid, crash.signal, crash.released) == (hung.pid, 9, [task_id])
        assert "sent no heartbeat" in crash.reason
        workers = {w.pid: w for w in await swarm.store.list_workers(include_stopped=True)}
        assert workers[hung.pid].status is WorkerStatus.DEAD


@pytest.mark.slow
async def test_role_that_keeps_crashing_is_reported_as_failing(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("crasher", """
            import os

            class Crasher:
                def execute(self) -> None:
                    os._exit(3)
        """)
        await swarm.enqueue(*[NewTask(role="crashy", skill="crasher", max_attempts=1)
                              for _ in range(5)])
        supervisor = await swarm.supervise({"crashy": 1}, crash_loop_count=3,
                                           crash_loop_window_s=120.0)

        await swarm.wait_until(lambda: "crashy" in supervisor.failing_roles,
                               what="role crashy to be reported as failing")

        crashes = await swarm.crashes()
        assert len(crashes) >= 3
        assert all(c.exit_code == 3 and c.role == "crashy" for c in crashes)
        assert "keeps crashing" not in crashes[0].reason
        assert "role 'crashy' keeps crashing" in crashes[2].reason


@pytest.mark.slow
async def test_worker_past_its_memory_ceiling_finishes_its_task_and_is_replaced(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("hog", """
            import time

            HELD = []

            class Hog:
                def execute(self) -> str:
                    HELD.append(b"x" * (150 * 2**20))  # written, so resident
                    time.sleep(1.0)  # a few heartbeats notice the ceiling meanwhile
                    return f"holding {len(HELD)} blocks"
        """)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="hog"))
        # An idle worker uses about 45 MB: the ceiling sits well above that, and below the hog.
        supervisor = await swarm.supervise({"r": 1}, max_rss_mb=100.0, grace_s=30.0)
        first = supervisor.slots[0].process
        assert first is not None

        [task] = await swarm.wait_for_tasks([task_id])
        code = await first.wait()
        replacement = await swarm.wait_until(
            lambda: supervisor.slots[0].process is not first and supervisor.slots[0].process,
            what="the worker to be replaced")

        assert code == 75
        assert task.status is TaskStatus.DONE
        assert task.attempt == 1
        assert swarm.output_of(task).body == "holding 1 blocks\n"
        assert await swarm.crashes() == []
        workers = {w.pid: w for w in await swarm.store.list_workers(include_stopped=True)}
        assert workers[first.pid].status is WorkerStatus.STOPPED

        async def replacement_registered() -> bool:
            return any(w.pid == replacement.pid for w in await swarm.store.list_workers())

        await swarm.wait_until(replacement_registered, what="the replacement to register")
