"""The storage contract: what every `Store` implementation must do, as tests.

A backend's test module subclasses `StoreContract` and provides a `store` fixture: a
fresh, empty store that reads time from the `clock` fixture (a `FakeClock`) and draws
backoff jitter as 0, with `RetryPolicy(base_s=1.0, max_s=60.0)`, so the delay after a
failed attempt n is exactly 0.5 · 2^(n-1) seconds. The tests use the protocol only.
"""

from __future__ import annotations

import asyncio
import datetime
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from support.before_contract import BeforeContract
from support.blobs_contract import BlobsContract
from support.board_files_contract import BoardFilesContract
from support.clock import FakeClock
from support.step_writes_contract import StepWritesContract
from taskqueue import (
    HUMAN_ROLE,
    WORKERS_CHANNEL,
    AmbiguousSession,
    Completion,
    DuplicateTaskKey,
    InvalidTask,
    Message,
    NewTask,
    Session,
    SessionStatus,
    SessionUsage,
    StatusCount,
    Store,
    SwarmError,
    Task,
    TaskStatus,
    UnknownSession,
    UnknownTask,
    UsageTotals,
    WorkerBeat,
    WorkerInfo,
    WorkerStatus,
    session_channel,
)
from taskqueue.messages import (
    SessionCreated,
    TaskDead,
    TaskFailed,
    TaskProgress,
    TaskStarted,
    WorkerStarted,
)

LEASE_S = 30.0


def backoff(attempt: int) -> float:
    """The retry delay after `attempt` failed, with the contract's policy and jitter 0."""
    return 0.5 * 2.0 ** (attempt - 1)


async def all_messages(store: Store, channels: list[str], after: int = 0) -> list[Message]:
    """Every message on `channels` after `after`, read page by page."""
    found: list[Message] = []
    while True:
        page = await store.read(channels, after, limit=500)
        if not page:
            return found
        assert page[0].id > after, "read returned a message at or before its offset"
        found.extend(page)
        after = page[-1].id


def mentions(message: Message, task_id: int) -> bool:
    body = message.body
    return body.get("task_id") == task_id or task_id in body.get("task_ids", [])


async def kinds_about(store: Store, session_id: str, task_id: int) -> list[str]:
    """The kinds of the session's messages that concern `task_id`, in order."""
    messages = await all_messages(store, [session_channel(session_id)])
    return [m.kind for m in messages if mentions(m, task_id)]


def replay(messages: list[Message]) -> tuple[dict[int, TaskStatus], Counter[int]]:
    """Each task's status and number of started attempts, as told by the bus alone."""
    status: dict[int, TaskStatus] = {}
    started: Counter[int] = Counter()
    for message in messages:
        body = message.body
        match message.kind:
            case "task.queued":
                status.update(dict.fromkeys(body["task_ids"], TaskStatus.QUEUED))
            case "task.blocked":
                status.update(dict.fromkeys(body["task_ids"], TaskStatus.BLOCKED))
            case "task.cancelled":
                status.update(dict.fromkeys(body["task_ids"], TaskStatus.CANCELLED))
            case "task.started":
                status[body["task_id"]] = TaskStatus.RUNNING
                started[body["task_id"]] += 1
            case "task.done":
                status[body["task_id"]] = TaskStatus.DONE
            case "task.requeued":
                status[body["task_id"]] = TaskStatus.QUEUED
            case "task.dead":
                status[body["task_id"]] = TaskStatus.DEAD
            case "task.failed":
                status[body["task_id"]] = (
                    TaskStatus.FAILED if body["final"] else TaskStatus.QUEUED
                )
    return status, started


async def enqueue_c_after_a_and_b(store: Store, session: Session) -> list[int]:
    """Tasks a and b, and c that depends on both (named out of order): their ids."""
    return await store.enqueue_plan(session.id, [
        NewTask(key="a", role="r"),
        NewTask(key="b", role="r"),
        NewTask(key="c", role="r", depends_on=["b", "a"]),
    ])


async def assert_bus_agrees(store: Store, session_id: str) -> None:
    """Replaying the session's channel gives every task's status and attempt count."""
    tasks = await store.list_tasks(session_id)
    status, started = replay(await all_messages(store, [session_channel(session_id)]))
    assert {t.id: status.get(t.id, TaskStatus.BLOCKED) for t in tasks} == {
        t.id: t.status for t in tasks
    }
    assert {t.id: started[t.id] for t in tasks} == {t.id: t.attempt for t in tasks}


def invalid_plans() -> list[Any]:
    """Plans that enqueue must refuse whole, with a fragment of the expected message."""
    return [
        pytest.param(
            lambda _: [NewTask(key="a", role="r"), NewTask(key="a", role="r")],
            "'a'", id="duplicate-key",
        ),
        pytest.param(
            lambda _: [NewTask(key="a", role="r", depends_on=["nope"])],
            "nope", id="unknown-key",
        ),
        pytest.param(
            lambda _: [NewTask(key="a", role="r", depends_on=["a"])],
            "itself", id="self-dependency",
        ),
        pytest.param(
            lambda _: [
                NewTask(key="a", role="r", depends_on=["c"]),
                NewTask(key="b", role="r", depends_on=["a"]),
                NewTask(key="c", role="r", depends_on=["b"]),
            ],
            "cycle", id="cycle",
        ),
        pytest.param(
            lambda existing: [NewTask(key="a", role="r", depends_on=[existing + 1000])],
            "{missing}", id="unknown-existing-id",
        ),
        pytest.param(
            lambda _: [
                NewTask(key="fine", role="r"),
                NewTask(key="a", role="r", input={"when": datetime.date(2024, 1, 1)}),
            ],
            "input.when", id="not-json",
        ),
        pytest.param(
            lambda _: [NewTask(key="a", role="r", input={"score": [1.0, math.nan]})],
            "input.score", id="nan-in-input",
        ),
        pytest.param(
            lambda _: [NewTask(key="a", role="r", not_before=math.nan)],
            "not_before", id="nan-not-before",
        ),
    ]


class StoreContract(BeforeContract, BoardFilesContract, BlobsContract, StepWritesContract):
    """The behaviour every `Store` must have; subclass it and provide `store`."""

    @pytest.fixture
    async def session(self, store: Store) -> Session:
        return await store.create_session("a request", {"depth": 1})

    async def claim_one(self, store: Store, role: str = "r", worker: str = "w1") -> Task:
        claimed = await store.claim(worker, [role], 1, lease_s=LEASE_S)
        assert len(claimed) == 1
        return claimed[0]

    # sessions

    async def test_created_session_is_running_and_announced(
        self, store: Store, clock: FakeClock
    ) -> None:
        session = await store.create_session("find the answer", {"depth": 2})

        assert session.status is SessionStatus.RUNNING
        assert session.request == "find the answer"
        assert session.options == {"depth": 2}
        assert session.created_at == clock.now
        assert await store.get_session(session.id) == session
        assert [s.id for s in await store.list_sessions()] == [session.id]
        [message] = await store.read([session_channel(session.id)])
        assert message.parsed() == SessionCreated(session_id=session.id,
                                                  request="find the answer")

    async def test_find_session_by_unique_prefix(self, store: Store, session: Session) -> None:
        assert (await store.find_session(session.id[:4])).id == session.id
        assert (await store.find_session(session.id)).id == session.id

    async def test_unknown_session_is_a_swarm_error(self, store: Store, session: Session) -> None:
        missing = "no-such-session"
        with pytest.raises(UnknownSession):
            await store.get_session(missing)
        with pytest.raises(UnknownSession):
            await store.find_session(missing)
        with pytest.raises(UnknownSession):
            await store.enqueue(missing, NewTask(role="r"))
        with pytest.raises(UnknownSession):
            await store.cancel_session(missing, "no")
        assert issubclass(UnknownSession, SwarmError)
        assert await store.list_tasks(session.id) == []

    async def test_prefix_shared_by_two_sessions_is_ambiguous(self, store: Store) -> None:
        firsts: Counter[str] = Counter()
        while not firsts or firsts.most_common(1)[0][1] < 2:
            session = await store.create_session(f"request {len(firsts)}", {})
            firsts[session.id[0]] += 1
            assert firsts.total() <= 100, "session ids should share first characters"
        shared = firsts.most_common(1)[0][0]

        with pytest.raises(AmbiguousSession):
            await store.find_session(shared)
        assert issubclass(AmbiguousSession, SwarmError)

    async def test_session_options_are_replaced(self, store: Store, session: Session) -> None:
        await store.update_session_options(session.id, {"depth": 3, "roles": ["a"]})

        assert (await store.get_session(session.id)).options == {"depth": 3, "roles": ["a"]}

    async def test_finish_session_records_the_outcome_once(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        clock.advance(5)
        assert await store.finish_session(session.id, SessionStatus.DONE)
        assert not await store.finish_session(session.id, SessionStatus.DONE)

        finished = await store.get_session(session.id)
        assert finished.status is SessionStatus.DONE
        assert finished.finished_at == clock.now
        kinds = [m.kind for m in await store.read([session_channel(session.id)])]
        assert kinds == ["session.created", "session.done"]

    async def test_cancel_session_cancels_every_unfinished_task(
        self, store: Store, session: Session
    ) -> None:
        done, running, queued, blocked = await store.enqueue_plan(session.id, [
            NewTask(key="done", role="r", priority=3),
            NewTask(key="running", role="r", priority=2),
            NewTask(key="queued", role="s"),
            NewTask(key="blocked", role="r", depends_on=["queued"]),
        ])
        first = await self.claim_one(store)
        await store.complete(first.id, first.attempt)
        second = await self.claim_one(store)
        assert (first.id, second.id) == (done, running)

        assert await store.cancel_session(session.id, "user stop") == 3

        statuses = {t.id: t.status for t in await store.list_tasks(session.id)}
        assert statuses == {done: TaskStatus.DONE, running: TaskStatus.CANCELLED,
                            queued: TaskStatus.CANCELLED, blocked: TaskStatus.CANCELLED}
        assert (await store.get_session(session.id)).status is SessionStatus.CANCELLED
        assert not await store.complete(second.id, second.attempt)
        assert await store.claim("w1", ["r", "s"], 10, lease_s=LEASE_S) == []
        await assert_bus_agrees(store, session.id)

    # enqueue

    async def test_plan_ids_ascend_in_batch_order(self, store: Store, session: Session) -> None:
        first = await store.enqueue(session.id, NewTask(role="r"))
        ids = await store.enqueue_plan(
            session.id, [NewTask(key=k, role="r") for k in ("c", "a", "b")]
        )

        assert ids == sorted(ids)
        assert ids[0] > first
        assert [t.key for t in await store.list_tasks(session.id)] == [None, "c", "a", "b"]

    async def test_tasks_with_dependencies_start_blocked(
        self, store: Store, session: Session
    ) -> None:
        a, b, c = await enqueue_c_after_a_and_b(store, session)

        tasks = {t.id: t for t in await store.list_tasks(session.id)}
        assert [tasks[i].status for i in (a, b, c)] == [
            TaskStatus.QUEUED, TaskStatus.QUEUED, TaskStatus.BLOCKED]
        assert tasks[c].depends_on == [a, b]
        assert (await store.get_task(c)).depends_on == [a, b]
        [queued] = [m for m in await store.read([session_channel(session.id)])
                    if m.kind == "task.queued"]
        assert queued.body["task_ids"] == [a, b]

    async def test_a_claimed_task_names_what_it_depended_on(
        self, store: Store, session: Session
    ) -> None:
        a, b, c = await enqueue_c_after_a_and_b(store, session)
        for task in await store.claim("w1", ["r"], 2, lease_s=LEASE_S):
            assert task.depends_on == []
            await store.complete(task.id, task.attempt)

        [task] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)

        assert (task.id, task.depends_on) == (c, [a, b])
        assert await store.get_task(c) == task

    async def test_enqueued_task_keeps_its_fields(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(
            key="k", role="r", skill="search", title="Look it up",
            input={"query": "sqlite", "n": [1, 2.5, None, True]}, priority=7,
            max_attempts=5, timeout_s=12.5, not_before=clock.now + 100, run_on_partial=True,
        ))

        task = await store.get_task(task_id)
        assert (task.session_id, task.key, task.role, task.skill, task.title) == (
            session.id, "k", "r", "search", "Look it up")
        assert task.input == {"query": "sqlite", "n": [1, 2.5, None, True]}
        assert (task.priority, task.max_attempts, task.timeout_s) == (7, 5, 12.5)
        assert (task.not_before, task.run_on_partial) == (clock.now + 100, True)
        assert (task.status, task.attempt, task.lease_owner) == (TaskStatus.QUEUED, 0, None)
        assert task.created_at == clock.now

    async def test_dependency_on_an_existing_task_id(
        self, store: Store, session: Session
    ) -> None:
        first, pending = await store.enqueue_plan(
            session.id, [NewTask(role="r", priority=1), NewTask(role="r")]
        )
        claimed = await self.claim_one(store)
        await store.complete(claimed.id, claimed.attempt)

        after_done, after_pending = await store.enqueue_plan(session.id, [
            NewTask(role="r", depends_on=[first]),
            NewTask(role="r", depends_on=[first, pending]),
        ])

        assert (await store.get_task(after_done)).status is TaskStatus.QUEUED
        assert (await store.get_task(after_pending)).status is TaskStatus.BLOCKED
        assert (await store.get_task(after_pending)).depends_on == [first, pending]
        await assert_bus_agrees(store, session.id)

    @pytest.mark.parametrize(("plan", "fragment"), invalid_plans())
    async def test_invalid_plan_is_refused_before_anything_is_written(
        self, store: Store, session: Session,
        plan: Callable[[int], list[NewTask]], fragment: str,
    ) -> None:
        existing = await store.enqueue(session.id, NewTask(role="r"))
        tasks_before = await store.list_tasks(session.id)
        last_message = await store.last_message_id()

        with pytest.raises(InvalidTask) as refused:
            await store.enqueue_plan(session.id, plan(existing))

        assert fragment.format(missing=existing + 1000) in str(refused.value)
        assert isinstance(refused.value, SwarmError)
        assert await store.list_tasks(session.id) == tasks_before
        assert await store.last_message_id() == last_message

    async def test_key_already_used_in_the_session_is_refused(
        self, store: Store, session: Session
    ) -> None:
        await store.enqueue_plan(session.id, [NewTask(key="plan", role="r")])
        tasks_before = await store.list_tasks(session.id)
        last_message = await store.last_message_id()

        with pytest.raises(DuplicateTaskKey, match="plan"):
            await store.enqueue_plan(session.id, [
                NewTask(key="fresh", role="r"), NewTask(key="plan", role="r")])

        assert issubclass(DuplicateTaskKey, InvalidTask)
        assert await store.list_tasks(session.id) == tasks_before
        assert await store.last_message_id() == last_message
        other = await store.create_session("another", {})
        assert await store.enqueue_plan(other.id, [NewTask(key="plan", role="r")])

    async def test_dependency_on_another_sessions_task_is_refused(
        self, store: Store, session: Session
    ) -> None:
        other = await store.create_session("another", {})
        foreign = await store.enqueue(other.id, NewTask(role="r"))

        with pytest.raises(InvalidTask, match=str(foreign)):
            await store.enqueue(session.id, NewTask(role="r", depends_on=[foreign]))
        assert await store.list_tasks(session.id) == []

    async def test_unknown_task_id_is_a_swarm_error(self, store: Store) -> None:
        with pytest.raises(UnknownTask):
            await store.get_task(12345)
        assert issubclass(UnknownTask, SwarmError)

    # claim

    async def test_claim_takes_highest_priority_then_oldest(
        self, store: Store, session: Session
    ) -> None:
        low, high_old, mid, high_new = await store.enqueue_plan(session.id, [
            NewTask(role="r", priority=0),
            NewTask(role="r", priority=5),
            NewTask(role="r", priority=2),
            NewTask(role="r", priority=5),
        ])

        claimed = await store.claim("w1", ["r"], 3, lease_s=LEASE_S)

        assert [t.id for t in claimed] == [high_old, high_new, mid]
        assert [t.id for t in await store.claim("w2", ["r"], 3, lease_s=LEASE_S)] == [low]

    async def test_claim_stamps_a_lease_and_announces_the_attempt(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r", skill="search"))
        clock.advance(2)

        [task] = await store.claim("w1", ["r"], 1, lease_s=15)

        assert (task.id, task.status, task.attempt) == (task_id, TaskStatus.RUNNING, 1)
        assert (task.lease_owner, task.lease_expires) == ("w1", clock.now + 15)
        assert task.started_at == clock.now
        assert await store.get_task(task_id) == task
        started = [m for m in await store.read([session_channel(session.id)])
                   if m.kind == "task.started"]
        assert [m.parsed() for m in started] == [TaskStarted(
            task_id=task_id, attempt=1, role="r", skill="search", worker="w1")]

    async def test_claim_takes_only_the_workers_roles(
        self, store: Store, session: Session
    ) -> None:
        a, b, c = await store.enqueue_plan(session.id, [
            NewTask(role="a"), NewTask(role="b"), NewTask(role="c")])

        assert [t.id for t in await store.claim("w1", ["a", "c"], 5, lease_s=LEASE_S)] == [a, c]
        assert await store.claim("w1", ["a", "c"], 5, lease_s=LEASE_S) == []
        assert await store.claim("w1", [], 5, lease_s=LEASE_S) == []
        assert [t.id for t in await store.claim("w2", ["b"], 5, lease_s=LEASE_S)] == [b]

    async def test_claim_never_takes_a_running_or_blocked_task(
        self, store: Store, session: Session
    ) -> None:
        a, _b = await store.enqueue_plan(session.id, [
            NewTask(key="a", role="r"), NewTask(key="b", role="r", depends_on=["a"])])

        assert [t.id for t in await store.claim("w1", ["r"], 5, lease_s=LEASE_S)] == [a]
        assert await store.claim("w2", ["r"], 5, lease_s=LEASE_S) == []

    async def test_claim_waits_for_not_before(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r", not_before=clock.now + 10))

        clock.advance(9.5)
        assert await store.claim("w1", ["r"], 1, lease_s=LEASE_S) == []
        clock.advance(0.5)
        assert [t.id for t in await store.claim("w1", ["r"], 1, lease_s=LEASE_S)] == [task_id]

    async def test_claim_can_be_limited_to_one_session(
        self, store: Store, session: Session
    ) -> None:
        other = await store.create_session("another", {})
        theirs = await store.enqueue(other.id, NewTask(role="r", priority=9))
        ours = await store.enqueue(session.id, NewTask(role="r"))

        claimed = await store.claim("w1", ["r"], 5, lease_s=LEASE_S, session_id=session.id)

        assert [t.id for t in claimed] == [ours]
        assert [t.id for t in await store.claim("w1", ["r"], 5, lease_s=LEASE_S)] == [theirs]

    # complete

    async def test_complete_records_the_result_and_announces_it(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        task = await self.claim_one(store)
        clock.advance(3)

        assert await store.complete(task.id, task.attempt, {"answer": 42, "files": ["a.md"]})

        done = await store.get_task(task_id)
        assert done.status is TaskStatus.DONE
        assert done.result == {"answer": 42, "files": ["a.md"]}
        assert (done.lease_owner, done.finished_at) == (None, clock.now)
        assert await kinds_about(store, session.id, task_id) == [
            "task.queued", "task.started", "task.done"]

    async def test_completing_twice_is_refused_the_second_time(
        self, store: Store, session: Session
    ) -> None:
        await store.enqueue(session.id, NewTask(role="r"))
        task = await self.claim_one(store)

        assert await store.complete(task.id, task.attempt, "first")
        assert not await store.complete(task.id, task.attempt, "second")
        assert (await store.get_task(task.id)).result == "first"

    async def test_stale_completion_changes_nothing(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        await store.enqueue(session.id, NewTask(role="r"))
        lost = await store.claim("w1", ["r"], 1, lease_s=5)
        clock.advance(6)
        await store.requeue_expired()
        [current] = await store.claim("w2", ["r"], 1, lease_s=LEASE_S)
        before = await store.get_task(current.id)
        last_message = await store.last_message_id()

        assert not await store.complete(lost[0].id, lost[0].attempt, "late")
        assert await store.fail(lost[0].id, lost[0].attempt, "late") is None
        assert not await store.report_progress(lost[0].id, lost[0].attempt, 0.5)
        assert not await store.save_checkpoint(lost[0].id, lost[0].attempt, {"late": 1})

        assert await store.get_task(current.id) == before
        assert await store.last_message_id() == last_message
        assert await store.complete(current.id, current.attempt, "fresh")

    async def test_complete_many_fences_each_completion(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        ids = await store.enqueue_plan(session.id, [NewTask(role="r") for _ in range(3)])
        first = await store.claim("w1", ["r"], 3, lease_s=5)
        clock.advance(6)
        await store.requeue_expired()
        second = await store.claim("w2", ["r"], 1, lease_s=LEASE_S)

        done = await store.complete_many([
            Completion(task_id=first[0].id, attempt=first[0].attempt, result="stale"),
            Completion(task_id=second[0].id, attempt=second[0].attempt, result="fresh"),
            Completion(task_id=first[1].id, attempt=first[1].attempt, result="stale"),
            Completion(task_id=ids[-1] + 100, attempt=1, result="unknown"),
        ])

        assert done == [False, True, False, False]
        task = await store.get_task(second[0].id)
        assert (task.status, task.result, task.attempt) == (TaskStatus.DONE, "fresh", 2)
        assert await store.complete_many([]) == []
        await assert_bus_agrees(store, session.id)

    async def test_complete_many_counts_a_repeated_completion_once(
        self, store: Store, session: Session
    ) -> None:
        await store.enqueue(session.id, NewTask(role="r"))
        task = await self.claim_one(store)

        done = await store.complete_many([
            Completion(task_id=task.id, attempt=task.attempt, result="first"),
            Completion(task_id=task.id, attempt=task.attempt, result="second"),
        ])

        assert done == [True, False]
        assert (await store.get_task(task.id)).result == "first"
        assert await kinds_about(store, session.id, task.id) == [
            "task.queued", "task.started", "task.done"]

    async def test_completion_releases_dependents_whose_deps_are_all_done(
        self, store: Store, session: Session
    ) -> None:
        a, b, c, d = await store.enqueue_plan(session.id, [
            NewTask(key="a", role="r", priority=1),
            NewTask(key="b", role="r"),
            NewTask(key="c", role="r", depends_on=["a", "b"]),
            NewTask(key="d", role="r", depends_on=["a"]),
        ])
        task_a, task_b = await store.claim("w1", ["r"], 2, lease_s=LEASE_S)

        assert await store.complete(task_a.id, task_a.attempt)
        assert (await store.get_task(c)).status is TaskStatus.BLOCKED
        assert (await store.get_task(d)).status is TaskStatus.QUEUED
        assert await store.complete(task_b.id, task_b.attempt)
        assert (await store.get_task(c)).status is TaskStatus.QUEUED

        assert [t.id for t in await store.claim("w1", ["r"], 5, lease_s=LEASE_S)] == [c, d]
        assert (task_a.id, task_b.id) == (a, b)
        queued = [m.body for m in await store.read([session_channel(session.id)])
                  if m.kind == "task.queued"]
        assert [q["task_ids"] for q in queued] == [[a, b], [d], [c]]
        await assert_bus_agrees(store, session.id)

    # fail, retry, dead letters

    async def test_failed_attempt_is_retried_after_exponential_backoff(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r", max_attempts=4))
        retry_times = []
        for attempt in (1, 2, 3):
            task = await self.claim_one(store)
            assert task.attempt == attempt
            retry_times.append(clock.now + backoff(attempt))
            assert await store.fail(task.id, attempt, f"boom {attempt}") is TaskStatus.QUEUED

            queued = await store.get_task(task_id)
            assert (queued.status, queued.error) == (TaskStatus.QUEUED, f"boom {attempt}")
            assert (queued.not_before, queued.lease_owner) == (retry_times[-1], None)
            clock.advance(backoff(attempt) - 0.25)
            assert await store.claim("w1", ["r"], 1, lease_s=LEASE_S) == []
            clock.advance(0.25)

        failures = [m.parsed() for m in await store.read([session_channel(session.id)])
                    if m.kind == "task.failed"]
        assert failures == [
            TaskFailed(task_id=task_id, attempt=n, error=f"boom {n}", retry_at=retry_times[n - 1])
            for n in (1, 2, 3)
        ]
        assert (await self.claim_one(store)).attempt == 4
        await assert_bus_agrees(store, session.id)

    async def test_retry_in_overrides_the_backoff(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        task = await self.claim_one(store)

        assert await store.fail(task.id, 1, "rate limited", retry_in=20) is TaskStatus.QUEUED

        assert (await store.get_task(task_id)).not_before == clock.now + 20
        [failed] = [m.parsed() for m in await store.read([session_channel(session.id)])
                    if m.kind == "task.failed"]
        assert failed == TaskFailed(task_id=task_id, attempt=1, error="rate limited",
                                    retry_at=clock.now + 20)

    async def test_failure_of_the_last_attempt_dead_letters(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r", max_attempts=2))
        first = await self.claim_one(store)
        await store.fail(first.id, first.attempt, "boom")
        clock.advance(backoff(1))
        second = await self.claim_one(store)

        assert await store.fail(second.id, second.attempt, "boom again") is TaskStatus.DEAD

        dead = await store.get_task(task_id)
        assert (dead.status, dead.attempt, dead.error) == (TaskStatus.DEAD, 2, "boom again")
        assert dead.finished_at == clock.now
        messages = await store.read([session_channel(session.id)])
        assert messages[-1].parsed() == TaskDead(task_id=task_id, attempt=2, error="boom again")
        clock.advance(100)
        assert await store.claim("w1", ["r"], 1, lease_s=LEASE_S) == []

    async def test_failure_without_retry_is_final(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r", max_attempts=3))
        task = await self.claim_one(store)

        assert await store.fail(task.id, 1, "bad input", retry=False) is TaskStatus.FAILED

        failed = await store.get_task(task_id)
        assert (failed.status, failed.error, failed.attempt) == (
            TaskStatus.FAILED, "bad input", 1)
        [message] = [m.parsed() for m in await store.read([session_channel(session.id)])
                     if m.kind == "task.failed"]
        assert message == TaskFailed(task_id=task_id, attempt=1, error="bad input", final=True)
        clock.advance(100)
        assert await store.claim("w1", ["r"], 1, lease_s=LEASE_S) == []

    async def test_dependents_of_a_dead_task_are_cancelled_down_the_chain(
        self, store: Store, session: Session
    ) -> None:
        a, b, c, side = await store.enqueue_plan(session.id, [
            NewTask(key="a", role="r", max_attempts=1),
            NewTask(key="b", role="r", depends_on=["a"]),
            NewTask(key="c", role="r", depends_on=["b"]),
            NewTask(key="side", role="s"),
        ])
        task = await self.claim_one(store)

        assert await store.fail(task.id, task.attempt, "boom") is TaskStatus.DEAD

        statuses = {t.id: t.status for t in await store.list_tasks(session.id)}
        assert statuses == {a: TaskStatus.DEAD, b: TaskStatus.CANCELLED,
                            c: TaskStatus.CANCELLED, side: TaskStatus.QUEUED}
        await assert_bus_agrees(store, session.id)

    async def test_run_on_partial_dependent_runs_once_every_dep_has_ended(
        self, store: Store, session: Session
    ) -> None:
        a, b, c, final = await store.enqueue_plan(session.id, [
            NewTask(key="a", role="r", priority=2),
            NewTask(key="b", role="r", priority=1),
            NewTask(key="c", role="r", depends_on=["a"]),
            NewTask(key="final", role="r", depends_on=["b", "c"], run_on_partial=True),
        ])
        task_a, task_b = await store.claim("w1", ["r"], 2, lease_s=LEASE_S)

        await store.fail(task_a.id, task_a.attempt, "refused", retry=False)
        assert (await store.get_task(c)).status is TaskStatus.CANCELLED
        assert (await store.get_task(final)).status is TaskStatus.BLOCKED
        await store.complete(task_b.id, task_b.attempt)

        assert (await store.get_task(final)).status is TaskStatus.QUEUED
        assert [t.id for t in await store.claim("w1", ["r"], 5, lease_s=LEASE_S)] == [final]
        assert (task_a.id, task_b.id) == (a, b)
        await assert_bus_agrees(store, session.id)

    async def test_cancelled_dependency_cancels_its_dependents(
        self, store: Store, session: Session
    ) -> None:
        a, b, partial = await store.enqueue_plan(session.id, [
            NewTask(key="a", role="r"),
            NewTask(key="b", role="r", depends_on=["a"]),
            NewTask(key="p", role="r", depends_on=["a"], run_on_partial=True),
        ])

        assert await store.cancel_task(a, "not needed")

        statuses = {t.id: t.status for t in await store.list_tasks(session.id)}
        assert statuses == {a: TaskStatus.CANCELLED, b: TaskStatus.CANCELLED,
                            partial: TaskStatus.QUEUED}
        await assert_bus_agrees(store, session.id)

    # leases

    async def test_expired_lease_is_requeued_with_attempt_counted(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        await store.claim("w1", ["r"], 1, lease_s=10)

        clock.advance(10)
        assert await store.requeue_expired() == []  # expires strictly after the lease
        clock.advance(0.5)
        assert await store.requeue_expired() == [task_id]

        task = await store.get_task(task_id)
        assert (task.status, task.attempt, task.lease_owner) == (TaskStatus.QUEUED, 1, None)
        again = await store.claim("w2", ["r"], 1, lease_s=10)
        assert [(t.id, t.attempt, t.lease_owner) for t in again] == [(task_id, 2, "w2")]
        assert await kinds_about(store, session.id, task_id) == [
            "task.queued", "task.started", "task.requeued", "task.started"]

    async def test_expired_lease_of_the_last_attempt_dead_letters(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        a, b = await store.enqueue_plan(session.id, [
            NewTask(key="a", role="r", max_attempts=1),
            NewTask(key="b", role="r", depends_on=["a"]),
        ])
        await store.claim("w1", ["r"], 1, lease_s=10)
        clock.advance(11)

        assert await store.requeue_expired() == [a]

        assert (await store.get_task(a)).status is TaskStatus.DEAD
        assert (await store.get_task(b)).status is TaskStatus.CANCELLED
        await assert_bus_agrees(store, session.id)

    async def test_heartbeat_extends_only_that_workers_leases(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        mine, theirs = await store.enqueue_plan(session.id, [
            NewTask(role="r", priority=1), NewTask(role="r")])
        await store.claim("w1", ["r"], 1, lease_s=10)
        await store.claim("w2", ["r"], 1, lease_s=10)
        clock.advance(8)

        assert await store.heartbeat("w1", WorkerBeat(running=[mine]), lease_s=10) == 1

        assert (await store.get_task(mine)).lease_expires == clock.now + 10
        clock.advance(5)
        assert await store.requeue_expired() == [theirs]
        assert (await store.get_task(mine)).status is TaskStatus.RUNNING
        assert await store.heartbeat("nobody", WorkerBeat(), lease_s=10) == 0

    async def test_release_worker_takes_back_all_its_leases(
        self, store: Store, session: Session
    ) -> None:
        one, two, last, other = await store.enqueue_plan(session.id, [
            NewTask(role="r", priority=3),
            NewTask(role="r", priority=2),
            NewTask(role="r", priority=1, max_attempts=1),
            NewTask(role="r"),
        ])
        await store.claim("w1", ["r"], 3, lease_s=LEASE_S)
        await store.claim("w2", ["r"], 1, lease_s=LEASE_S)

        assert await store.release_worker("w1", "worker crashed") == [one, two, last]

        statuses = {t.id: (t.status, t.attempt) for t in await store.list_tasks(session.id)}
        assert statuses == {one: (TaskStatus.QUEUED, 1), two: (TaskStatus.QUEUED, 1),
                            last: (TaskStatus.DEAD, 1), other: (TaskStatus.RUNNING, 1)}
        assert await store.release_worker("w1", "again") == []
        await assert_bus_agrees(store, session.id)

    # cancel

    async def test_cancelled_running_task_refuses_its_completion(
        self, store: Store, session: Session
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        task = await self.claim_one(store)

        assert await store.cancel_task(task_id, "user said stop")

        assert not await store.complete(task.id, task.attempt, "too late")
        cancelled = await store.get_task(task_id)
        assert (cancelled.status, cancelled.result) == (TaskStatus.CANCELLED, None)
        assert await kinds_about(store, session.id, task_id) == [
            "task.queued", "task.started", "task.cancelled"]

    async def test_cancelling_a_finished_task_changes_nothing(
        self, store: Store, session: Session
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        task = await self.claim_one(store)
        await store.complete(task.id, task.attempt, "kept")

        assert not await store.cancel_task(task_id, "too late")
        assert (await store.get_task(task_id)).status is TaskStatus.DONE
        with pytest.raises(UnknownTask):
            await store.cancel_task(task_id + 100, "no such task")

    # checkpoints and progress

    async def test_checkpoint_is_handed_to_the_next_attempt(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        await store.enqueue(session.id, NewTask(role="r"))
        first = await self.claim_one(store)

        assert await store.save_checkpoint(first.id, first.attempt, {"page": 3, "seen": ["a"]})
        await store.fail(first.id, first.attempt, "interrupted")
        clock.advance(backoff(1))

        second = await self.claim_one(store)
        assert (second.attempt, second.checkpoint) == (2, {"page": 3, "seen": ["a"]})

    async def test_progress_is_recorded_and_announced(
        self, store: Store, session: Session
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        task = await self.claim_one(store)

        assert await store.report_progress(task.id, task.attempt, 0.25, "reading")

        recorded = await store.get_task(task_id)
        assert (recorded.progress, recorded.progress_note) == (0.25, "reading")
        [message] = [m.parsed() for m in await store.read([session_channel(session.id)])
                     if m.kind == "task.progress"]
        assert message == TaskProgress(task_id=task_id, attempt=1, fraction=0.25,
                                       note="reading")

    # counts

    async def test_counts_by_session_role_and_status(
        self, store: Store, session: Session
    ) -> None:
        other = await store.create_session("another", {})
        await store.enqueue_plan(session.id, [
            NewTask(key="a", role="a", priority=1), NewTask(role="a"),
            NewTask(role="b", depends_on=["a"])])
        await store.enqueue(other.id, NewTask(role="a"))
        await store.claim("w1", ["a"], 1, lease_s=LEASE_S, session_id=session.id)

        expected = [
            StatusCount(session_id=session.id, role="a", status=TaskStatus.QUEUED, count=1),
            StatusCount(session_id=session.id, role="a", status=TaskStatus.RUNNING, count=1),
            StatusCount(session_id=session.id, role="b", status=TaskStatus.BLOCKED, count=1),
        ]

        def key(c: StatusCount) -> tuple[str, str, str]:
            return c.session_id, c.role, c.status

        assert sorted(await store.counts(session.id), key=key) == expected
        everything = sorted(await store.counts(), key=key)
        assert [c for c in everything if c.session_id == session.id] == expected
        assert [c for c in everything if c.session_id == other.id] == [
            StatusCount(session_id=other.id, role="a", status=TaskStatus.QUEUED, count=1)]

    # workers

    async def test_registered_worker_is_listed_and_announced(
        self, store: Store, clock: FakeClock
    ) -> None:
        await store.register_worker(WorkerInfo(id="w1", role="r", pid=101, concurrency=2))

        [worker] = await store.list_workers()
        assert (worker.id, worker.role, worker.pid, worker.concurrency) == ("w1", "r", 101, 2)
        assert (worker.status, worker.started_at, worker.heartbeat_at) == (
            WorkerStatus.RUNNING, clock.now, clock.now)
        [message] = await store.read([WORKERS_CHANNEL])
        assert message.parsed() == WorkerStarted(worker="w1", role="r", pid=101)

    async def test_heartbeat_updates_the_worker_record(
        self, store: Store, clock: FakeClock
    ) -> None:
        await store.register_worker(WorkerInfo(id="w1", role="r", pid=101))
        clock.advance(7)

        await store.heartbeat("w1", WorkerBeat(running=[4, 5], rss_mb=81.5), lease_s=10)

        [worker] = await store.list_workers()
        assert (worker.heartbeat_at, worker.running, worker.rss_mb) == (
            clock.now, [4, 5], 81.5)

    async def test_stopped_workers_are_listed_only_on_request(self, store: Store) -> None:
        await store.register_worker(WorkerInfo(id="w1", role="r", pid=101))
        await store.register_worker(WorkerInfo(id="w2", role="r", pid=102))

        await store.set_worker_status("w1", WorkerStatus.STOPPED)

        assert [w.id for w in await store.list_workers()] == ["w2"]
        listed = {w.id: w.status for w in await store.list_workers(include_stopped=True)}
        assert listed == {"w1": WorkerStatus.STOPPED, "w2": WorkerStatus.RUNNING}

    # the bus

    async def test_read_returns_the_channels_messages_after_the_offset(
        self, store: Store
    ) -> None:
        ids = [await store.publish(channel, {"n": n}, sender="t", kind="note")
               for n, channel in enumerate(["a", "b", "a", "c", "a", "b"])]

        assert ids == sorted(ids)
        assert len(set(ids)) == len(ids)
        assert [m.id for m in await store.read(["a"])] == [ids[0], ids[2], ids[4]]
        assert [m.id for m in await store.read(["a", "b"], after=ids[1])] == [
            ids[2], ids[4], ids[5]]
        assert [m.id for m in await store.read(["a", "b", "c"], after=ids[0], limit=2)] == [
            ids[1], ids[2]]
        assert await store.read([], after=0) == []
        assert await store.read(["a"], after=ids[-1]) == []
        assert await store.last_message_id() == ids[-1]

    async def test_message_keeps_its_envelope_and_parses_to_its_kind(
        self, store: Store, clock: FakeClock
    ) -> None:
        typed = await store.publish("c", TaskProgress(task_id=1, attempt=2, fraction=0.5),
                                    sender="worker-7")
        plain = await store.publish("c", {"text": "hi", "n": [1, 2]}, sender="skill",
                                    kind="skill.note")

        first, second = await store.read(["c"])
        assert (first.id, first.time, first.channel, first.kind, first.sender) == (
            typed, clock.now, "c", "task.progress", "worker-7")
        assert first.parsed() == TaskProgress(task_id=1, attempt=2, fraction=0.5)
        assert (second.id, second.kind, second.sender) == (plain, "skill.note", "skill")
        assert second.parsed() == {"text": "hi", "n": [1, 2]}

    async def test_unencodable_message_is_refused(self, store: Store) -> None:
        with pytest.raises(SwarmError, match=r"body\.x"):
            await store.publish("c", {"x": math.inf}, sender="t", kind="note")
        assert await store.read(["c"]) == []

    async def test_pruning_deletes_old_messages_and_never_reuses_ids(
        self, store: Store, clock: FakeClock
    ) -> None:
        old = [await store.publish("c", {"n": n}, sender="t", kind="note") for n in range(3)]
        clock.advance(100)
        recent = await store.publish("c", {"n": 3}, sender="t", kind="note")

        assert await store.prune_messages(older_than_s=50) == 3

        assert [m.id for m in await store.read(["c"])] == [recent]
        assert await store.prune_messages(older_than_s=0.5) == 0
        clock.advance(100)
        assert await store.prune_messages(older_than_s=50) == 1
        assert await store.read(["c"]) == []
        assert await store.last_message_id() == recent
        after = await store.publish("c", {"n": 4}, sender="t", kind="note")
        assert after > recent > old[-1]

    async def test_wait_for_news_wakes_on_this_processs_change(self, store: Store) -> None:
        version = store.news_version
        waiter = asyncio.create_task(store.wait_for_news(30))
        await asyncio.sleep(0)

        await store.publish("c", {"n": 1}, sender="t", kind="note")

        assert await asyncio.wait_for(waiter, 30)
        assert store.news_version > version
        # A change that happened before the wait began is not missed.
        assert await store.wait_for_news(30, after_version=version)
        before_second = store.news_version
        await store.publish("c", {"n": 2}, sender="t", kind="note")
        assert store.news_version > before_second
        assert await store.wait_for_news(30, after_version=before_second)

    async def test_wait_for_news_times_out_without_a_change(self, store: Store) -> None:
        assert not await store.wait_for_news(0.05)

    async def test_every_change_is_on_the_bus(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        plan_id, *_ = await store.enqueue_plan(session.id, [
            NewTask(key="plan", role="planner", priority=9),
            NewTask(key="r1", role="r", depends_on=["plan"]),
            NewTask(key="r2", role="r", depends_on=["plan"], max_attempts=1),
            NewTask(key="r3", role="r", depends_on=["plan"]),
            NewTask(key="final", role="s", depends_on=["r1", "r2", "r3"],
                    run_on_partial=True),
            NewTask(key="strict", role="s", depends_on=["r2"]),
        ])
        await assert_bus_agrees(store, session.id)
        await store.enqueue(session.id, NewTask(role="setup", before=[plan_id]))
        await assert_bus_agrees(store, session.id)
        setup = await self.claim_one(store, "setup")
        await store.complete(setup.id, setup.attempt)
        await assert_bus_agrees(store, session.id)
        plan = await self.claim_one(store, "planner")
        await store.complete(plan.id, plan.attempt)
        await assert_bus_agrees(store, session.id)
        r1, r2, r3 = await store.claim("w1", ["r"], 3, lease_s=10)
        await store.fail(r1.id, r1.attempt, "flaky")
        await store.fail(r2.id, r2.attempt, "broken")
        await assert_bus_agrees(store, session.id)
        clock.advance(11)
        await store.requeue_expired()
        await assert_bus_agrees(store, session.id)
        again = await store.claim("w2", ["r"], 2, lease_s=10)
        assert sorted(t.id for t in again) == [r1.id, r3.id]
        for task in again:
            await store.complete(task.id, task.attempt)
        await assert_bus_agrees(store, session.id)
        final = await self.claim_one(store, "s")
        await store.complete(final.id, final.attempt)
        await assert_bus_agrees(store, session.id)

    # human tasks

    async def test_answering_a_queued_human_task_completes_it_and_releases_dependents(
        self, store: Store, session: Session, clock: FakeClock
    ) -> None:
        ask, after = await store.enqueue_plan(session.id, [
            NewTask(key="ask", role=HUMAN_ROLE, title="Approve?"),
            NewTask(key="after", role="r", depends_on=["ask"]),
        ])

        assert await store.answer_task(ask, {"answer": "yes"})

        answered = await store.get_task(ask)
        assert answered.status is TaskStatus.DONE
        assert answered.result == {"answer": "yes"}
        assert answered.attempt == 1
        assert answered.finished_at == clock.now
        assert (await store.get_task(after)).status is TaskStatus.QUEUED
        assert await kinds_about(store, session.id, ask) == ["task.queued", "task.started",
                                                               "task.done"]
        await assert_bus_agrees(store, session.id)

    async def test_a_human_task_is_answered_only_once(
        self, store: Store, session: Session
    ) -> None:
        ask = await store.enqueue(session.id, NewTask(role=HUMAN_ROLE))
        assert await store.answer_task(ask, "first")

        assert not await store.answer_task(ask, "second")
        assert (await store.get_task(ask)).result == "first"
        await assert_bus_agrees(store, session.id)

    async def test_only_queued_human_tasks_can_be_answered(
        self, store: Store, session: Session
    ) -> None:
        other, blocked, cancelled = await store.enqueue_plan(session.id, [
            NewTask(key="other", role="r"),
            NewTask(key="blocked", role=HUMAN_ROLE, depends_on=["other"]),
            NewTask(key="cancelled", role=HUMAN_ROLE),
        ])
        await store.cancel_task(cancelled, "not needed")

        for task_id in (other, blocked, cancelled):
            assert not await store.answer_task(task_id, "an answer")
        assert [t.status for t in await store.list_tasks(session.id)] == [
            TaskStatus.QUEUED, TaskStatus.BLOCKED, TaskStatus.CANCELLED]
        await assert_bus_agrees(store, session.id)

    async def test_a_human_task_is_never_claimed_for_other_roles(
        self, store: Store, session: Session
    ) -> None:
        await store.enqueue(session.id, NewTask(role=HUMAN_ROLE))
        assert await store.claim("w1", ["r", "planner"], 5, lease_s=LEASE_S) == []

    async def test_answering_an_unknown_task_is_an_error(self, store: Store) -> None:
        with pytest.raises(UnknownTask):
            await store.answer_task(404, "hello")

    # the model server: limits shared by every process, usage per session

    async def test_llm_slots_admit_at_most_max_concurrent_holders(self, store: Store) -> None:
        assert await store.llm_acquire("a", 2, None, lease_s=60) is None
        assert await store.llm_acquire("b", 2, None, lease_s=60) is None

        wait = await store.llm_acquire("c", 2, None, lease_s=60)

        assert wait is not None
        assert 0 < wait <= 60
        assert await store.llm_release("a")
        assert await store.llm_acquire("c", 2, None, lease_s=60) is None
        assert not await store.llm_release("a")

    async def test_llm_holder_asking_again_keeps_its_one_slot(self, store: Store) -> None:
        assert await store.llm_acquire("a", 1, 1, lease_s=60) is None
        assert await store.llm_acquire("a", 1, 1, lease_s=60) is None
        assert await store.llm_acquire("b", 1, None, lease_s=60) is not None

    async def test_llm_requests_per_minute_wait_for_the_oldest_to_leave_the_window(
        self, store: Store, clock: FakeClock
    ) -> None:
        for holder in ("a", "b"):
            assert await store.llm_acquire(holder, None, 2, lease_s=60) is None
            assert await store.llm_release(holder)
            clock.advance(10)

        # Requests at 0 s and 10 s; at 20 s the one at 0 s leaves the window in 40 s.
        assert await store.llm_acquire("c", None, 2, lease_s=60) == pytest.approx(40)
        clock.advance(40)
        assert await store.llm_acquire("c", None, 2, lease_s=60) is None

    async def test_llm_slot_expires_after_its_lease(self, store: Store, clock: FakeClock) -> None:
        assert await store.llm_acquire("a", 1, None, lease_s=30) is None
        clock.advance(29)
        assert await store.llm_acquire("b", 1, None, lease_s=30) is not None

        clock.advance(2)

        assert await store.llm_acquire("b", 1, None, lease_s=30) is None
        assert not await store.llm_release("a")

    async def test_llm_slot_of_a_dead_worker_is_freed_at_once(self, store: Store) -> None:
        await store.register_worker(WorkerInfo(id="w1", role="r", pid=1))
        assert await store.llm_acquire("w1:call", 1, None, lease_s=600, owner="w1") is None
        assert await store.llm_acquire("other", 1, None, lease_s=600) is not None

        await store.set_worker_status("w1", WorkerStatus.DEAD)

        assert await store.llm_acquire("other", 1, None, lease_s=600) is None

    async def test_llm_usage_is_summed_per_task_and_per_session(
        self, store: Store, session: Session
    ) -> None:
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        other = await store.create_session("another request", {})
        await store.record_llm_usage(session.id, task_id, 100, 20, 1.25, True)
        await store.record_llm_usage(session.id, task_id, 50, 0, 0.5, False)
        await store.record_llm_usage(session.id, None, 10, 5, 0.25, True)
        await store.record_llm_usage(other.id, task_id, 999, 999, 9.0, True)

        usage = await store.llm_usage(session.id)

        assert usage.by_task == {task_id: UsageTotals(
            calls=2, failed=1, tokens_in=150, tokens_out=20, latency_s=1.75)}
        assert usage.total == UsageTotals(
            calls=3, failed=1, tokens_in=160, tokens_out=25, latency_s=2.0)
        assert await store.llm_usage("no-such-session") == SessionUsage()
