"""The storage contract's part on `NewTask.before`: a new task that tasks already in the
session, not yet started, wait for too. `StoreContract` includes it, so every backend
passes it."""

from __future__ import annotations

import pytest

from taskqueue import InvalidTask, NewTask, Session, Store, TaskStatus, session_channel

LEASE_S = 30.0


async def statuses(store: Store, *ids: int) -> list[TaskStatus]:
    return [(await store.get_task(i)).status for i in ids]


class BeforeContract:
    async def test_a_blocked_task_named_in_before_waits_for_the_new_task_too(
        self, store: Store, session: Session,
    ) -> None:
        research, synthesis = await store.enqueue_plan(session.id, [
            NewTask(key="research", role="r"),
            NewTask(key="synthesis", role="s", depends_on=["research"]),
        ])
        [claimed] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)

        chase = await store.enqueue(session.id, NewTask(
            role="r", depends_on=[research], before=[synthesis]))
        await store.complete(claimed.id, claimed.attempt)

        assert (await store.get_task(synthesis)).depends_on == [research, chase]
        assert await statuses(store, chase, synthesis) == [
            TaskStatus.QUEUED, TaskStatus.BLOCKED]
        [follow_up] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)
        assert follow_up.id == chase
        await store.complete(follow_up.id, follow_up.attempt)
        assert await statuses(store, synthesis) == [TaskStatus.QUEUED]

    async def test_a_queued_task_named_in_before_goes_back_to_blocked_and_says_so(
        self, store: Store, session: Session,
    ) -> None:
        waiting = await store.enqueue(session.id, NewTask(role="s"))

        first = await store.enqueue(session.id, NewTask(role="r", before=[waiting]))

        assert await statuses(store, waiting, first) == [TaskStatus.BLOCKED, TaskStatus.QUEUED]
        assert await store.claim("w1", ["s"], 1, lease_s=LEASE_S) == []
        [blocked] = [m for m in await store.read([session_channel(session.id)])
                     if m.kind == "task.blocked"]
        assert blocked.body["task_ids"] == [waiting]
        [claimed] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)
        await store.complete(claimed.id, claimed.attempt)
        [released] = await store.claim("w1", ["s"], 1, lease_s=LEASE_S)
        assert released.id == waiting

    async def test_a_failed_follow_up_decides_its_waiters_as_any_dependency_does(
        self, store: Store, session: Session,
    ) -> None:
        strict, partial = await store.enqueue_plan(session.id, [
            NewTask(key="strict", role="s"), NewTask(key="partial", role="s",
                                                      run_on_partial=True)])
        follow_up = await store.enqueue(session.id, NewTask(
            role="r", max_attempts=1, before=[strict, partial]))
        [claimed] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)

        await store.fail(claimed.id, claimed.attempt, "broken")

        assert await statuses(store, follow_up, strict, partial) == [
            TaskStatus.DEAD, TaskStatus.CANCELLED, TaskStatus.QUEUED]

    @pytest.mark.parametrize("state", ["running", "done", "cancelled"])
    async def test_a_started_or_ended_task_in_before_refuses_the_whole_batch(
        self, store: Store, session: Session, state: str,
    ) -> None:
        target = await store.enqueue(session.id, NewTask(role="s"))
        if state == "cancelled":
            await store.cancel_task(target, "no longer wanted")
        else:
            [claimed] = await store.claim("w1", ["s"], 1, lease_s=LEASE_S)
            if state == "done":
                await store.complete(claimed.id, claimed.attempt)
        tasks_before = await store.list_tasks(session.id)
        last_message = await store.last_message_id()

        with pytest.raises(InvalidTask, match=rf"before: task\(s\) \[{target}\] already"):
            await store.enqueue_plan(session.id, [
                NewTask(key="fine", role="r"), NewTask(key="late", role="r", before=[target])])

        assert await store.list_tasks(session.id) == tasks_before
        assert await store.last_message_id() == last_message

    async def test_before_an_unknown_or_foreign_task_is_refused(
        self, store: Store, session: Session,
    ) -> None:
        other = await store.create_session("another", {})
        foreign = await store.enqueue(other.id, NewTask(role="r"))

        for unknown in (foreign, foreign + 1000):
            with pytest.raises(InvalidTask, match=rf"before: unknown task id\(s\) \[{unknown}\]"):
                await store.enqueue(session.id, NewTask(role="r", before=[unknown]))
        assert await store.list_tasks(session.id) == []

    async def test_before_a_task_the_new_one_waits_for_is_a_cycle_and_refused(
        self, store: Store, session: Session,
    ) -> None:
        upstream, middle = await store.enqueue_plan(session.id, [
            NewTask(key="upstream", role="r"),
            NewTask(key="middle", role="r", depends_on=["upstream"])])
        last_message = await store.last_message_id()

        with pytest.raises(InvalidTask, match="cycle"):
            await store.enqueue(session.id, NewTask(role="r", depends_on=[upstream],
                                                    before=[upstream]))
        with pytest.raises(InvalidTask, match=rf"'late': before \[{upstream}\] .*cycle"):
            # Through the batch and down the chain: late → step → middle → upstream.
            await store.enqueue_plan(session.id, [
                NewTask(key="step", role="r", depends_on=[middle]),
                NewTask(key="late", role="r", depends_on=["step"], before=[upstream])])

        assert [t.id for t in await store.list_tasks(session.id)] == [upstream, middle]
        assert await store.last_message_id() == last_message
        assert await statuses(store, upstream) == [TaskStatus.QUEUED]
