"""The workspace's shared limits as the client uses them, usage per task, and the
session's token budget."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from skills.llm import BudgetSpent, BudgetStop, LLMUnavailable, ModelEndpoint
from skills.llm.budget import after_call, before_call
from skills.roles import goes_on_when_budget_spent
from support.fake_llm import Answer, FakeModelServer, Status, fast_config
from taskqueue import NewTask, SqliteStore, Task, TaskStatus, UsageTotals

ASK = [{"role": "user", "content": "Hi?"}]


async def test_a_call_waits_while_another_process_holds_the_only_slot(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    model = ModelEndpoint(fast_config(server.url, max_concurrent=1), store, owner="w1",
                          keeps_running=goes_on_when_budget_spent)
    endpoints.append(model)
    assert await store.llm_acquire("another-process", 1, None, lease_s=600) is None

    call = asyncio.create_task(model.complete(ASK))
    await asyncio.sleep(0.5)
    assert server.requests == []  # it cannot start while the slot is held
    await store.llm_release("another-process")

    assert (await asyncio.wait_for(call, 30)).text == "I am a fake model."
    assert len(server.requests) == 1


async def test_a_failed_call_gives_its_slot_back(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    server.script(Status(500), Status(500))
    model = ModelEndpoint(fast_config(server.url, max_concurrent=1, max_retries=1), store,
                          owner="w1", keeps_running=goes_on_when_budget_spent)
    endpoints.append(model)

    with pytest.raises(LLMUnavailable):
        await model.complete(ASK)

    assert await store.llm_acquire("next", 1, None, lease_s=60) is None


async def test_an_answered_call_gives_its_slot_back_and_counts_its_usage_in_one_write(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = await store.create_session("a request", {})
    task = await store.get_task(await store.enqueue(session.id, NewTask(role="researcher")))
    server.script(Answer("one", tokens_in=30, tokens_out=5))
    model = ModelEndpoint(fast_config(server.url, max_concurrent=1), store, owner="w1",
                          keeps_running=goes_on_when_budget_spent)
    endpoints.append(model)
    writes: list[str] = []
    for name in ("llm_finish", "llm_release", "record_llm_usage"):
        monkeypatch.setattr(store, name, _counted(getattr(store, name), name, writes))

    await model.for_task(task).chat(ASK)

    assert writes == ["llm_finish"]
    assert (await store.llm_usage(session.id)).by_task[task.id].tokens == 35
    assert await store.llm_acquire("next", 1, None, lease_s=60) is None


def _counted(method: Any, name: str, writes: list[str]) -> Any:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        writes.append(name)
        return await method(*args, **kwargs)
    return counted


async def test_every_call_of_a_task_is_counted_in_its_usage(
    server: FakeModelServer, store: SqliteStore, endpoints: list[ModelEndpoint],
) -> None:
    session = await store.create_session("a request", {})
    task_id = await store.enqueue(session.id, NewTask(role="researcher"))
    task = await store.get_task(task_id)
    server.script(Answer("one", tokens_in=30, tokens_out=5), Status(404))
    model = ModelEndpoint(fast_config(server.url), store, owner="w1",
                          keeps_running=goes_on_when_budget_spent)
    endpoints.append(model)
    notes: list[str] = []

    async def progress(note: str) -> None:
        notes.append(note)

    llm = model.for_task(task, progress)
    await llm.chat(ASK)
    with pytest.raises(Exception, match="HTTP 404"):
        await llm.chat(ASK)

    usage = await llm.session_usage()
    totals = usage.by_task[task_id]
    assert (totals.calls, totals.failed, totals.tokens_in, totals.tokens_out) == (2, 1, 30, 5)
    assert usage.total == totals
    assert notes  # the streamed answer was reported
    assert all("characters so far" in note for note in notes)


async def budget_session(store: SqliteStore) -> dict[str, Task]:
    """planner done; two research tasks (one running); design after them; synthesis last."""
    session = await store.create_session("a request", {})
    await store.enqueue_plan(session.id, [
        NewTask(key="plan", role="planner", skill="plan"),
        NewTask(key="r1", role="researcher", depends_on=["plan"]),
        NewTask(key="r2", role="researcher", depends_on=["plan"]),
        NewTask(key="design", role="architect", depends_on=["r1", "r2"]),
        NewTask(key="final", role="coordinator", depends_on=["r1", "r2", "design"],
                run_on_partial=True),
    ])
    [planner] = await store.claim("w", ["planner"], lease_s=60)
    await store.complete(planner.id, planner.attempt)
    await store.claim("w", ["researcher"], lease_s=60)
    await store.record_llm_usage(session.id, planner.id, 900, 100, 1.0, True)
    return {t.key or "": t for t in await store.list_tasks(session.id)}


async def test_a_spent_budget_cancels_the_rest_for_budget_but_not_the_synthesis(
    store: SqliteStore,
) -> None:
    tasks = await budget_session(store)

    with pytest.raises(BudgetStop, match="1000 of 1000 tokens"):
        await before_call(store, tasks["r2"], 1000, goes_on_when_budget_spent)

    after = {t.key: t for t in await store.list_tasks(tasks["plan"].session_id)}
    for key in ("r1", "r2", "design"):
        assert (after[key].status, after[key].error) == (TaskStatus.CANCELLED, "budget")
    assert after["final"].status is TaskStatus.QUEUED  # it runs on what exists
    with pytest.raises(BudgetSpent):
        await before_call(store, after["final"], 1000, goes_on_when_budget_spent)


async def test_the_call_that_spends_the_budget_keeps_its_task(store: SqliteStore) -> None:
    tasks = await budget_session(store)

    # Budget left: nothing happens.
    await before_call(store, tasks["r1"], 2000, goes_on_when_budget_spent)
    await after_call(store, tasks["r1"], 1000, goes_on_when_budget_spent)

    after = {t.key: t for t in await store.list_tasks(tasks["plan"].session_id)}
    assert after["r1"].status is TaskStatus.RUNNING
    assert [after[k].error for k in ("r2", "design")] == ["budget", "budget"]


async def test_usage_totals_add_tokens_in_and_out() -> None:
    assert UsageTotals(tokens_in=3, tokens_out=4).tokens == 7
