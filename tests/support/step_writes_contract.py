"""The storage contract's part on the writes that end a step in one transaction (a model
call's slot and usage; progress with a message): `StoreContract` includes it, so every
backend passes it."""

from __future__ import annotations

import pytest

from taskqueue import (
    InvalidTask,
    NewTask,
    SessionUsage,
    Store,
    TaskStatus,
    UsageTotals,
    session_channel,
)
from taskqueue.messages import TaskProgress

LEASE_S = 30.0


class StepWritesContract:
    async def test_llm_finish_gives_the_slot_back_and_counts_the_call(
        self, store: Store,
    ) -> None:
        session = await store.create_session("r", {})
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        assert await store.llm_acquire("a", 1, None, lease_s=60) is None
        assert await store.llm_acquire("b", 1, None, lease_s=60) is not None

        assert await store.llm_finish("a", session.id, task_id, 100, 20, 1.25, True)

        assert await store.llm_acquire("b", 1, None, lease_s=60) is None
        usage = await store.llm_usage(session.id)
        assert usage.by_task == {task_id: UsageTotals(
            calls=1, failed=0, tokens_in=100, tokens_out=20, latency_s=1.25)}
        assert usage.total == usage.by_task[task_id]

    async def test_llm_finish_counts_the_call_without_a_slot_held(self, store: Store) -> None:
        session = await store.create_session("r", {})

        assert not await store.llm_finish(None, session.id, None, 10, 5, 0.25, True)
        assert not await store.llm_finish("expired-or-released", session.id, None, 1, 0,
                                          0.5, False)

        assert await store.llm_usage(session.id) == SessionUsage(total=UsageTotals(
            calls=2, failed=1, tokens_in=11, tokens_out=5, latency_s=0.75))

    async def test_progress_publishes_its_message_after_task_progress(
        self, store: Store,
    ) -> None:
        session = await store.create_session("r", {})
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        [task] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)

        assert await store.report_progress(task.id, task.attempt, 0.5, "step 2",
                                           publish={"task_id": task_id, "step": 2},
                                           kind="agent_step")

        recorded = await store.get_task(task_id)
        assert (recorded.progress, recorded.progress_note) == (0.5, "step 2")
        progress, step = (await store.read([session_channel(session.id)]))[-2:]
        assert progress.parsed() == TaskProgress(task_id=task_id, attempt=1, fraction=0.5,
                                                 note="step 2")
        assert (step.kind, step.body) == ("agent_step", {"task_id": task_id, "step": 2})
        assert step.id == progress.id + 1

    async def test_progress_of_a_lost_attempt_publishes_neither_message(
        self, store: Store,
    ) -> None:
        session = await store.create_session("r", {})
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        [task] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)
        assert await store.fail(task.id, task.attempt, "lost") == TaskStatus.QUEUED
        before = await store.last_message_id()

        assert not await store.report_progress(task_id, task.attempt, 0.5, "late",
                                               publish={"step": 1}, kind="agent_step")

        assert await store.last_message_id() == before

    async def test_progress_with_a_message_that_cannot_be_published_changes_nothing(
        self, store: Store,
    ) -> None:
        session = await store.create_session("r", {})
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        [task] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)
        before = await store.last_message_id()
        unchanged = (await store.get_task(task_id)).progress

        with pytest.raises(ValueError, match="needs a kind"):
            await store.report_progress(task_id, task.attempt, 0.5, publish={"step": 1})
        with pytest.raises(InvalidTask):
            await store.report_progress(task_id, task.attempt, 0.5,
                                        publish={"step": object()}, kind="agent_step")

        assert (await store.get_task(task_id)).progress == unchanged
        assert await store.last_message_id() == before
