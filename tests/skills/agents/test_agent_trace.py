"""An agent's trace: each step on the bus with the progress in one write, the file on the
blackboard opened with its heading, growing step by step (readable throughout), and its
ending appended, fsynced and announced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from blackboard import OverwriteRefused
from skills.agents.steps import AGENT_STEP, StepCall, StepTrace, Trace
from skills.context import TaskContext
from taskqueue import NewTask, Task
from tests.skills.agents.conftest import ROLE, AgentHarness


async def claimed(agents: AgentHarness) -> Task:
    await agents.store.enqueue(agents.session_id, NewTask(role=ROLE, input={"goal": "g"}))
    [task] = await agents.store.claim("w", [ROLE], lease_s=60, session_id=agents.session_id)
    return task


def step(number: int) -> StepTrace:
    return StepTrace(number, f"thinking {number}", [StepCall("read_blackboard", "{}", "a")],
                     tokens_in=10, tokens_out=2, latency_s=0.2)


async def test_the_trace_opens_grows_step_by_step_and_ends_fsynced_and_announced(
        agents: AgentHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    task = await claimed(agents)
    ctx = TaskContext(agents.store, task, worker_id="w", skill="agent", board=agents.board)
    trace = Trace(ctx, max_steps=4)

    trace.open()
    await trace.add(step(1))
    after_one = agents.board.read(trace.path)
    await trace.add(step(2))
    after_two = agents.board.read(trace.path)
    synced = fsyncs_counted(monkeypatch)
    trace.ending = "Done."
    await trace.save()
    await ctx.blackboard.drain()

    assert after_one.body.startswith(f"# Trace of task {task.id}")
    assert "## Step 1" in after_one.body
    assert "## Step 2" not in after_one.body
    assert after_two.body.startswith(after_one.body)
    assert "## Step 2" in after_two.body
    assert after_two.front_matter is not None
    assert after_two.front_matter.task == task.id
    assert agents.read(trace.path) == trace.render()
    # Started in place and unsynced: the end makes the file durable, and its name.
    assert synced == [trace.path.rsplit("/", 1)[-1], "traces"]
    # Written at the start and ended at the end, each announced; the steps are not.
    written = await agents.messages("blackboard.written")
    assert [m.body["path"] for m in written] == [trace.path, trace.path]


async def test_a_trace_removed_meanwhile_is_written_whole_at_the_end(
        agents: AgentHarness) -> None:
    task = await claimed(agents)
    ctx = TaskContext(agents.store, task, worker_id="w", skill="agent", board=agents.board)
    trace = Trace(ctx, max_steps=4)
    trace.open()
    await trace.add(step(1))
    (agents.board.path / trace.path).unlink()

    trace.ending = "Done."
    await trace.save()

    assert agents.read(trace.path) == trace.render()
    assert "## Step 1" in trace.render()


def fsyncs_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files fsynced from now on."""
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return synced


async def test_each_step_is_published_with_the_progress_in_one_write(
        agents: AgentHarness) -> None:
    task = await claimed(agents)
    ctx = TaskContext(agents.store, task, worker_id="w", skill="agent", board=agents.board)
    trace = Trace(ctx, max_steps=4)

    await trace.add(step(1))

    [progress] = await agents.messages("task.progress")
    [published] = await agents.messages(AGENT_STEP)
    assert published.id == progress.id + 1
    assert published.time == progress.time
    assert progress.body["fraction"] == 0.25
    assert published.body["step"] == 1
    assert published.body["calls"][0]["tool"] == "read_blackboard"


async def test_another_task_cannot_append_to_a_trace(agents: AgentHarness) -> None:
    first = await claimed(agents)
    second = await claimed(agents)
    owner = TaskContext(agents.store, first, worker_id="w", skill="agent", board=agents.board)
    other = TaskContext(agents.store, second, worker_id="w", skill="agent",
                        board=agents.board)
    trace = Trace(owner, max_steps=4)
    await trace.add(step(1))

    with pytest.raises(OverwriteRefused):
        other.blackboard.append(trace.path, "## Step 9\n")

    assert "Step 9" not in agents.read(trace.path)
