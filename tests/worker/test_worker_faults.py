"""A skill that raises, exits, segfaults, spins or escapes costs at most one worker restart:
the other tasks go on and the session never notices more than that task's attempts."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from support.sqlite_locks import write_lock_held
from support.swarm_processes import open_swarm
from taskqueue import NewTask, TaskStatus

SPIN = """
    class Spin:
        def execute(self) -> None:
            while True:
                pass
"""
ECHO = """
    class Echo:
        def execute(self, text: str) -> str:
            return text
"""


async def test_raising_skill_is_retried_then_dead_with_its_traceback(tmp_path: Path) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("boom", """
            class Boom:
                def execute(self, n: int) -> str:
                    raise ValueError(f"boom {n}")
        """)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="boom", input={"n": 42},
                                                max_attempts=3))
        await swarm.supervise({"r": 1})

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status is TaskStatus.DEAD
        assert task.attempt == 3
        assert "Traceback (most recent call last)" in (task.error or "")
        assert "ValueError: boom 42" in (task.error or "")
        failures = await swarm.messages("task.failed")
        assert [m.body["attempt"] for m in failures] == [1, 2]
        assert all("ValueError: boom 42" in m.body["error"] for m in failures)


@pytest.mark.slow
async def test_worker_that_exits_mid_task_is_replaced_and_task_done_on_next_attempt(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        # A legacy skill knows no attempt: a marker file tells it it has run before.
        swarm.skill("exiter", """
            import os
            from pathlib import Path

            class Exiter:
                def execute(self, marker: str) -> str:
                    if not Path(marker).exists():
                        Path(marker).write_text("ran once")
                        os._exit(1)
                    return "survived"
        """)
        [task_id] = await swarm.enqueue(NewTask(
            role="r", skill="exiter", input={"marker": str(tmp_path / "marker")}))
        supervisor = await swarm.supervise({"r": 1})
        first = supervisor.slots[0].process

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status is TaskStatus.DONE
        assert task.attempt == 2
        assert swarm.output_of(task).body == "survived\n"
        [crash] = await swarm.crashes()
        assert first is not None
        assert (crash.pid, crash.exit_code, crash.signal) == (first.pid, 1, None)
        assert crash.released == [task_id]
        assert supervisor.slots[0].process is not first


@pytest.mark.slow
async def test_segfaulting_worker_is_replaced_and_task_done_on_next_attempt(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("segv", """
            import ctypes

            class Segv:
                async def execute(self, ctx):
                    if ctx.attempt == 1:
                        ctypes.string_at(0)  # reads address 0: SIGSEGV
                    return f"attempt {ctx.attempt} survived"
        """)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="segv"))
        await swarm.supervise({"r": 1})

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status is TaskStatus.DONE
        assert task.attempt == 2
        assert swarm.output_of(task).body == "attempt 2 survived\n"
        [crash] = await swarm.crashes()
        assert (crash.exit_code, crash.signal) == (None, 11)
        assert crash.released == [task_id]
        assert "SIGSEGV" in crash.reason


@pytest.mark.slow
async def test_sync_infinite_loop_times_out_and_worker_is_replaced_while_others_complete(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("spin", SPIN)
        swarm.skill("echo", ECHO)
        [spin_id] = await swarm.enqueue(NewTask(role="r", skill="spin", timeout_s=1,
                                                max_attempts=2))
        quick_ids = await swarm.enqueue(*[NewTask(role="r", skill="echo",
                                                  input={"text": f"quick {i}"})
                                          for i in range(10)])
        supervisor = await swarm.supervise({"r": 1}, concurrency=2)
        first = supervisor.slots[0].process
        assert first is not None

        [spin] = await swarm.wait_for_tasks([spin_id])
        quick = await swarm.wait_for_tasks(quick_ids)

        # The spinning thread cannot be stopped: its worker asked to be replaced.
        assert await first.wait() == 75
        assert supervisor.slots[0].process is not first
        assert spin.status is TaskStatus.DEAD
        assert spin.attempt == 2
        assert "timed out" in (spin.error or "")
        assert [t.status for t in quick] == [TaskStatus.DONE] * 10
        assert [swarm.output_of(t).body for t in quick] == [f"quick {i}\n" for i in range(10)]
        assert await swarm.crashes() == []
        started = {m.body["attempt"]: m.body["worker"]
                   for m in await swarm.messages("task.started") if m.body["task_id"] == spin_id}
        assert started[1] != started[2]
        # Nothing was cancelled: a run writing its outcome is not taken for a lost one.
        assert swarm.log_lines("cancelling its run") == []


@pytest.mark.slow
async def test_worker_leaving_for_a_stuck_skill_does_not_claim_the_task_back(
    tmp_path: Path,
) -> None:
    """A claim under way when a sync skill times out must not give the retried task back
    to the worker that is leaving: it would hold it past its grace period and spend the
    last attempt without running it."""
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("spin", SPIN)
        swarm.skill("echo", ECHO)
        [spin_id] = await swarm.enqueue(NewTask(role="r", skill="spin", timeout_s=1,
                                                max_attempts=2))
        supervisor = await swarm.supervise({"r": 1}, concurrency=2)
        first = supervisor.slots[0].process
        assert first is not None
        await swarm.wait_for_tasks([spin_id], statuses=["running"])
        # Ready while another writer holds the lock: the worker's claim of it is still
        # waiting for the lock when the spin times out, and its failure waits too.
        [later_id] = await swarm.enqueue(NewTask(role="r", skill="echo",
                                                 input={"text": "later"},
                                                 not_before=time.time() + 0.3))
        async with write_lock_held(swarm.store.path, 1.5):
            pass

        [spin, later] = await swarm.wait_for_tasks([spin_id, later_id])

        assert await first.wait() == 75
        assert later.status is TaskStatus.DONE
        assert (spin.status, spin.attempt) == (TaskStatus.DEAD, 2)
        assert "timed out" in (spin.error or "")
        started = {m.body["attempt"]: m.body["worker"]
                   for m in await swarm.messages("task.started") if m.body["task_id"] == spin_id}
        assert started[1] != started[2]
        # Nothing was cancelled: a run writing its outcome is not taken for a lost one.
        assert swarm.log_lines("cancelling its run") == []


@pytest.mark.slow
async def test_poison_task_is_dead_after_max_attempts_while_50_healthy_tasks_complete(
    tmp_path: Path,
) -> None:
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("poison", """
            import os

            class Poison:
                def execute(self) -> None:
                    os._exit(1)
        """)
        swarm.skill("healthy", """
            class Healthy:
                async def execute(self, ctx):
                    return {"n": ctx.input["n"]}
        """)
        [poison_id] = await swarm.enqueue(NewTask(role="r", skill="poison", max_attempts=3))
        # A task running beside the poison when its worker dies loses that attempt too;
        # with three crashes in all, four attempts cannot all be lost.
        healthy_ids = await swarm.enqueue(*[NewTask(role="r", skill="healthy", input={"n": i},
                                                    max_attempts=4) for i in range(50)])
        await swarm.supervise({"r": 2}, concurrency=2)

        [poison] = await swarm.wait_for_tasks([poison_id])
        healthy = await swarm.wait_for_tasks(healthy_ids)

        assert poison.status is TaskStatus.DEAD
        assert poison.attempt == 3
        assert "exited with status 1 on every attempt" in (poison.error or "")
        assert [t.status for t in healthy] == [TaskStatus.DONE] * 50
        crashes = await swarm.crashes()
        assert len(crashes) == 3
        assert all(c.exit_code == 1 and poison_id in c.released for c in crashes)


@pytest.mark.parametrize("escape", ["../../escape.md", "absolute"])
async def test_skill_writing_outside_the_blackboard_is_refused_without_retries(
    tmp_path: Path, escape: str,
) -> None:
    target = escape if escape != "absolute" else str(tmp_path / "escape.md")
    async with open_swarm(tmp_path) as swarm:
        swarm.skill("escaper", """
            class Escaper:
                async def execute(self, ctx):
                    ctx.blackboard.write(ctx.input["path"], "escaped")
                    return "written"
        """)
        [task_id] = await swarm.enqueue(NewTask(role="r", skill="escaper",
                                                input={"path": target}, max_attempts=3))
        await swarm.start_worker("r")

        [task] = await swarm.wait_for_tasks([task_id])

        assert task.status is TaskStatus.FAILED
        assert task.attempt == 1
        assert f"blackboard path {target!r} leaves session {swarm.session_id}" in (
            task.error or "")
        assert list(tmp_path.rglob("escape.md")) == []
