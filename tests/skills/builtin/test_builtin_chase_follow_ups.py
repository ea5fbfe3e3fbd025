"""Researchers enqueue chases that the tasks after them wait for: one level further down
(depth 2), within the per-research budget and the session's cap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from skills import TaskContext
from skills.builtin.chase_follow_ups import show_in_plan
from taskqueue import NewTask, Task

QUESTION = "How does entry_point run a job?"
FILES = {
    "app.py": 'def entry_point(job):\n    """Run the job."""\n    return helper_one(job)\n',
    "steps.py": "def helper_one(item):\n    return helper_two(item) + 1\n\n\n"
                "def helper_two(item):\n    return item * 2\n",
}


async def session(make_harness: Any, tmp_path: Path, **limits: int) -> Any:
    """A harness on a three-function corpus with a research task (its best passage
    only) and a final task that waits for it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in FILES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    harness = await make_harness(tmp_path / "home", QUESTION, corpus=corpus)
    chase = {"per_research": 3, "depth": 2, "per_session": 12, **limits}
    research = await harness.enqueue("researcher", {
        "question": QUESTION, "corpus": str(corpus), "index": str(harness.index),
        "limit": 1, "chase": chase}, skill="research", key="research")
    await harness.enqueue("coordinator", {}, skill="noop", key="final", depends_on=[research])
    return harness


async def chases_of(harness: Any) -> dict[str, Task]:
    return {t.input["identifier"]: t for t in await harness.tasks() if t.skill == "chase"}


async def test_a_chase_enqueues_the_next_level_and_the_final_task_waits_for_both(
        make_harness: Any, tmp_path: Path) -> None:
    harness = await session(make_harness, tmp_path)
    try:
        ran = await harness.run_session()
        chases = await chases_of(harness)
        tasks = {t.key: t for t in await harness.tasks()}
    finally:
        await harness.store.close()
    first, second = chases["helper_one"], chases["helper_two"]
    assert (first.key, first.input["level"], first.input["budget"]) == ("chase-1", 1, 2)
    assert (second.key, second.input["level"], second.input["budget"]) == ("chase-2", 2, 0)
    assert second.depends_on == [first.id]
    assert tasks["final"].depends_on == [tasks["research"].id, first.id, second.id]
    assert [t.key for t in ran] == ["research", "chase-1", "chase-2", "final"]


async def test_depth_one_follows_only_what_the_research_names(
        make_harness: Any, tmp_path: Path) -> None:
    harness = await session(make_harness, tmp_path, depth=1)
    try:
        await harness.run_session()
        chases = await chases_of(harness)
    finally:
        await harness.store.close()
    assert list(chases) == ["helper_one"]
    assert chases["helper_one"].input["budget"] == 0


async def test_the_per_research_budget_counts_every_level(
        make_harness: Any, tmp_path: Path) -> None:
    harness = await session(make_harness, tmp_path, per_research=1)
    try:
        await harness.run_session()
        assert list(await chases_of(harness)) == ["helper_one"]
    finally:
        await harness.store.close()


async def test_the_session_cap_counts_the_slots_other_tasks_took(
        make_harness: Any, tmp_path: Path) -> None:
    harness = await session(make_harness, tmp_path, per_session=2)
    # Another researcher's chase took the first slot: one is left, for helper_one.
    await harness.store.enqueue(harness.session_id, NewTask(
        key="chase-1", role="elsewhere", skill="chase", input={"identifier": "other"}))
    try:
        await harness.run_session()
        chases = await chases_of(harness)
    finally:
        await harness.store.close()
    assert {name: t.key for name, t in chases.items()} == {
        "other": "chase-1", "helper_one": "chase-2"}


async def test_a_retried_researcher_enqueues_its_chases_once(
        make_harness: Any, tmp_path: Path) -> None:
    harness = await session(make_harness, tmp_path)
    try:
        first = await harness.claim("researcher")
        await harness.run(first)  # the worker dies before it can complete the task
        harness.clock.advance(120)
        assert await harness.store.requeue_expired() == [first.id]
        again = await harness.claim("researcher")
        assert (again.id, again.attempt) == (first.id, 2)
        result = await harness.run_and_complete(again)
        assert result.data["chases"] == []
        assert list(await chases_of(harness)) == ["helper_one"]
    finally:
        await harness.store.close()


async def test_a_slot_taken_between_reading_and_enqueueing_moves_to_the_next(
        make_harness: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    harness = await session(make_harness, tmp_path, per_session=2)
    store, enqueue = harness.store, harness.store.enqueue

    async def racing(session_id: str, task: NewTask) -> int:
        if task.key == "chase-1":
            # Another researcher enqueues its chase into the same slot first.
            await enqueue(session_id, NewTask(key="chase-1", role="elsewhere", skill="chase",
                                              input={"identifier": "other"}))
        return int(await enqueue(session_id, task))

    monkeypatch.setattr(store, "enqueue", racing)
    try:
        await harness.run_session()
        chases = await chases_of(harness)
    finally:
        await store.close()
    assert {name: t.key for name, t in chases.items()} == {
        "other": "chase-1", "helper_one": "chase-2"}


class LooksBeforeAnother(TaskContext):
    """A researcher's context that, the first time it lists the session's tasks, lets
    another researcher enqueue a chase and rewrite plan.md before it writes its own."""

    def __init__(self, *args: Any, meanwhile: Callable[[], Awaitable[None]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._meanwhile: Callable[[], Awaitable[None]] | None = meanwhile

    async def session_tasks(self) -> list[Task]:
        listed = await super().session_tasks()
        if self._meanwhile is not None:
            meanwhile, self._meanwhile = self._meanwhile, None
            await meanwhile()
        return listed


async def test_a_researcher_that_writes_plan_md_late_keeps_the_chase_of_another(
        harness: Any) -> None:
    harness.board.write("plan.md", "# Plan\n")
    first, second = [await harness.enqueue("researcher", {}, key=k) for k in ("r1", "r2")]
    claimed = {t.id: t for t in await harness.store.claim(
        "w", ["researcher"], 2, lease_s=60, session_id=harness.session_id)}

    def context(task_id: int, **extra: Any) -> TaskContext:
        kind = LooksBeforeAnother if extra else TaskContext
        return kind(harness.store, claimed[task_id], worker_id="w", skill="research",
                    board=harness.board, **extra)

    async def second_enqueues_and_shows() -> None:
        await harness.enqueue("researcher", {}, skill="chase", key="chase-1",
                              title="Chase late", depends_on=[second])
        await show_in_plan(context(second))

    await show_in_plan(context(first, meanwhile=second_enqueues_and_shows))

    plan = harness.board.read("plan.md").body
    assert plan.startswith("# Plan\n")
    assert "| chase-1 | researcher | chase | Chase late | r2 | — |" in plan
