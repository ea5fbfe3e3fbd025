"""The `plan` skill in a real session: it enqueues the graph once, and writes plan.md."""

from __future__ import annotations

from typing import Any

import pytest

from skills import BadSkillInput
from taskqueue import TaskStatus

REQUEST = "Why do leases expire? And what should a dead-letter queue hold?"


async def test_planner_enqueues_the_offline_graph_for_the_request(harness: Any) -> None:
    plan_id = await harness.enqueue("planner", harness.plan_input(), title="Plan")
    task = await harness.claim("planner")
    result = await harness.run(task)
    tasks = {t.key: t for t in await harness.tasks() if t.id != plan_id}
    prefix = f"p{plan_id}:"
    assert sorted(tasks) == sorted(prefix + name for name in (
        "research-1", "research-2", "research-3", "analyze", "design", "critique",
        "synthesize"))
    questions = [tasks[f"{prefix}research-{n}"].title for n in (1, 2, 3)]
    assert questions == result.data["questions"] == [
        "How do task queues survive worker crashes?",
        "Compare retries with backoff and leases",
        "What should a dead-letter queue hold?"]
    research = tasks[f"{prefix}research-1"]
    # The researchers enqueue their own chases, within the `[chase]` limits they are given.
    assert research.input == {"question": questions[0], "corpus": str(harness.corpus),
                              "index": str(harness.index),
                              "chase": {"per_research": 3, "depth": 2, "per_session": 12}}
    assert research.status == TaskStatus.QUEUED
    assert not [t for t in tasks.values() if t.skill == "chase"]
    assert tasks[f"{prefix}synthesize"].status == TaskStatus.BLOCKED
    assert tasks[f"{prefix}synthesize"].run_on_partial


async def test_the_first_question_is_researched_first(harness: Any) -> None:
    await harness.enqueue("planner", harness.plan_input())
    await harness.run_and_complete(await harness.claim("planner"))
    claimed = [await harness.claim("researcher") for _ in range(3)]
    assert [t.key.split(":")[1] for t in claimed] == ["research-1", "research-2", "research-3"]


async def test_planner_writes_plan_md_at_the_session_root(harness: Any) -> None:
    plan_id = await harness.enqueue("planner", harness.plan_input())
    result = await harness.run(await harness.claim("planner"))
    assert "plan.md" in result.files
    plan = harness.board.read("plan.md")
    # Shared: the researchers add their follow-ups to it.
    assert (plan.front_matter.task, plan.front_matter.skill) == (None, "plan")
    assert f"| p{plan_id}:research-1 | researcher | research |" in plan.body
    assert "(runs on partial input)" in plan.body


async def test_a_retried_planner_enqueues_nothing_again(harness: Any) -> None:
    await harness.enqueue("planner", harness.plan_input(), max_attempts=3)
    first = await harness.claim("planner")
    await harness.run(first)  # the worker dies before it can complete the task
    count = len(await harness.tasks())
    harness.clock.advance(120)
    assert await harness.store.requeue_expired() == [first.id]
    second = await harness.claim("planner")
    assert (second.id, second.attempt) == (first.id, 2)
    result = await harness.run_and_complete(second)
    assert len(await harness.tasks()) == count == 8
    assert "earlier attempt" in result.summary
    assert len(result.data["task_ids"]) == 7
    assert harness.board.read("plan.md").front_matter.worker == "w"


async def test_planner_options_reach_every_task(harness: Any) -> None:
    await harness.enqueue("planner", harness.plan_input(
        "Why do leases expire?", max_attempts=5, task_timeout_s=30))
    await harness.run(await harness.claim("planner"))
    planned = [t for t in await harness.tasks() if t.role != "planner"]
    assert len(planned) == 5  # research, analyze, design, critique, synthesize
    assert {(t.max_attempts, t.timeout_s) for t in planned} == {(5, 30.0)}


@pytest.mark.parametrize(("given", "field"), [
    ({}, "input.request"),
    ({"request": "   "}, "input.request"),
    ({"request": REQUEST, "max_attempts": 0}, "input.max_attempts"),
    ({"request": REQUEST, "task_timeout_s": -1}, "input.task_timeout_s"),
    ({"request": REQUEST, "requests": "typo"}, "input.requests"),
])
async def test_bad_planner_input_fails_naming_the_field(
    harness: Any, given: dict[str, Any], field: str
) -> None:
    await harness.enqueue("planner", given)
    with pytest.raises(BadSkillInput, match=field):
        await harness.run(await harness.claim("planner"))
    assert len(await harness.tasks()) == 1
