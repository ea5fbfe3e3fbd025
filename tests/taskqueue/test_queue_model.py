"""A hypothesis state machine: each backend's queue against a small in-memory model of it.

The model predicts which tasks each claim returns, every status, attempt and lease, and
what every fenced call answers; a stale call must change nothing, and replaying the bus
must give the same statuses as the queue.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from support.clock import FakeClock
from support.store_contract import backoff, replay
from taskqueue import (
    InvalidTask,
    Message,
    NewTask,
    RetryPolicy,
    SqliteStore,
    Store,
    TaskStatus,
    WorkerBeat,
    WorkerInfo,
    session_channel,
)
from taskqueue.models import TERMINAL_STATUSES, UNSUCCESSFUL_STATUSES

T = TypeVar("T")
WORKERS = ("w1", "w2")
ROLE_SETS = (("a",), ("b",), ("a", "b"))


@dataclass
class ModelTask:
    id: int
    role: str
    priority: int
    max_attempts: int
    run_on_partial: bool
    deps: list[int]
    status: TaskStatus
    attempt: int = 0
    owner: str | None = None
    lease_expires: float | None = None
    not_before: float = 0.0

    def end_lease(self, status: TaskStatus) -> None:
        self.status, self.owner, self.lease_expires = status, None, None


@dataclass
class QueueModel:
    """What the queue should hold, told by the lifecycle in docs/design.md."""

    tasks: dict[int, ModelTask] = field(default_factory=dict)

    def enqueue(self, specs: list[NewTask]) -> list[int]:
        first = max(self.tasks, default=0) + 1
        ids = {spec.key: first + i for i, spec in enumerate(specs)}
        for i, spec in enumerate(specs):
            deps = sorted({ids[d] if isinstance(d, str) else d for d in spec.depends_on})
            self.tasks[first + i] = ModelTask(
                first + i, spec.role, spec.priority, spec.max_attempts, spec.run_on_partial,
                deps, TaskStatus.BLOCKED if deps else TaskStatus.QUEUED,
            )
            # The tasks that wait for it wait before it is decided: a new task cancelled
            # at once (a dependency failed) decides them in turn.
            for waiter in spec.before:
                task = self.tasks[waiter]
                task.deps = sorted({*task.deps, first + i})
                task.status = TaskStatus.BLOCKED
        self.settle([first + i for i, spec in enumerate(specs) if spec.depends_on])
        return [first + i for i in range(len(specs))]

    def ancestors(self, start: Iterable[int]) -> set[int]:
        """Every task that `start` waits for, down the chain, and `start` itself."""
        found: set[int] = set()
        pending = list(start)
        while pending:
            task_id = pending.pop()
            if task_id not in found:
                found.add(task_id)
                pending.extend(self.tasks[task_id].deps)
        return found

    def enqueue_before(self, spec: NewTask) -> int | None:
        """A task that `spec.before` waits for; None when the store must refuse it (a
        `before` task started or ended, or one the new task waits for)."""
        int_deps = [d for d in spec.depends_on if isinstance(d, int)]
        if any(self.tasks[i].status not in (TaskStatus.QUEUED, TaskStatus.BLOCKED)
               for i in spec.before) or set(spec.before) & self.ancestors(int_deps):
            return None
        [new_id] = self.enqueue([spec])
        return new_id

    def claim(self, worker: str, roles: Iterable[str], limit: int, lease_s: float,
              now: float) -> list[tuple[int, int]]:
        ready = [t for t in self.tasks.values() if t.status is TaskStatus.QUEUED
                 and t.role in roles and t.not_before <= now]
        ready.sort(key=lambda t: (-t.priority, t.id))
        for task in ready[:limit]:
            task.status, task.owner, task.lease_expires = TaskStatus.RUNNING, worker, now + lease_s
            task.attempt += 1
        return [(t.id, t.attempt) for t in ready[:limit]]

    def holds(self, task_id: int, attempt: int) -> bool:
        task = self.tasks[task_id]
        return task.status is TaskStatus.RUNNING and task.attempt == attempt

    def complete(self, task_id: int, attempt: int) -> bool:
        if not self.holds(task_id, attempt):
            return False
        self.tasks[task_id].end_lease(TaskStatus.DONE)
        self.settle(self.dependents([task_id]))
        return True

    def fail(self, task_id: int, attempt: int, retry: bool, retry_in: float | None,
             now: float) -> TaskStatus | None:
        if not self.holds(task_id, attempt):
            return None
        task = self.tasks[task_id]
        if retry and attempt < task.max_attempts:
            task.end_lease(TaskStatus.QUEUED)
            task.not_before = now + (retry_in if retry_in is not None
                                     else backoff(attempt))
            return TaskStatus.QUEUED
        task.end_lease(TaskStatus.DEAD if attempt >= task.max_attempts else TaskStatus.FAILED)
        self.settle(self.dependents([task_id]))
        return task.status

    def release(self, lost: Callable[[ModelTask], bool]) -> list[int]:
        """Running tasks that lost their lease: queued again, or dead on the last attempt."""
        released = sorted(t.id for t in self.tasks.values()
                          if t.status is TaskStatus.RUNNING and lost(t))
        dead = []
        for task_id in released:
            task = self.tasks[task_id]
            if task.attempt < task.max_attempts:
                task.end_lease(TaskStatus.QUEUED)
                task.not_before = 0.0
            else:
                task.end_lease(TaskStatus.DEAD)
                dead.append(task_id)
        self.settle(self.dependents(dead))
        return released

    def heartbeat(self, worker: str, lease_s: float, now: float) -> int:
        held = [t for t in self.tasks.values()
                if t.status is TaskStatus.RUNNING and t.owner == worker]
        for task in held:
            task.lease_expires = now + lease_s
        return len(held)

    def cancel(self, task_id: int) -> bool:
        if self.tasks[task_id].status in TERMINAL_STATUSES:
            return False
        self.tasks[task_id].end_lease(TaskStatus.CANCELLED)
        self.settle(self.dependents([task_id]))
        return True

    def dependents(self, ended: list[int]) -> list[int]:
        return sorted(t.id for t in self.tasks.values() if set(t.deps) & set(ended))

    def settle(self, candidates: list[int]) -> None:
        """Blocked tasks whose deps all ended run (if all succeeded, or on partial input);
        a dep that did not succeed cancels a strict dependent, and so on down the graph."""
        while candidates:
            blocked = [self.tasks[i] for i in candidates
                       if self.tasks[i].status is TaskStatus.BLOCKED]
            ready, doomed = [], []
            for task in blocked:
                deps = [self.tasks[d].status for d in task.deps]
                bad = any(s in UNSUCCESSFUL_STATUSES for s in deps)
                if all(s in TERMINAL_STATUSES for s in deps) and (task.run_on_partial or not bad):
                    ready.append(task)
                elif bad and not task.run_on_partial:
                    doomed.append(task)
            for task in ready:
                task.status = TaskStatus.QUEUED
            for task in doomed:
                task.end_lease(TaskStatus.CANCELLED)
            candidates = self.dependents([t.id for t in doomed])


plan_rows = st.lists(
    st.tuples(
        st.sampled_from("ab"), st.integers(0, 2), st.integers(1, 3), st.booleans(),
        st.sets(st.integers(0, 2), max_size=2),
    ),
    max_size=3,
)


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.folder = Path(tempfile.mkdtemp(prefix="swarm-model-"))
        self.clock = FakeClock()
        self.store = self.run(self.open_store())
        self.session_id = self.run(self.store.create_session("model", {})).id
        for worker in WORKERS:
            self.run(self.store.register_worker(WorkerInfo(id=worker, role="a", pid=1)))
        self.model = QueueModel()
        self.leases: list[tuple[int, int]] = []  # every (task, attempt) ever claimed
        self.messages: list[Message] = []
        self.plans = 0

    async def open_store(self) -> Store:
        return await SqliteStore.open(
            self.folder / "swarm.db", clock=self.clock,
            retry=RetryPolicy(base_s=1.0, max_s=60.0), rng=lambda: 0.0,
        )

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    def teardown(self) -> None:
        try:
            self.run(self.store.close())
        finally:
            self.runner.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    def snapshot(self) -> tuple[Any, int]:
        return (self.run(self.store.list_tasks(self.session_id)),
                self.run(self.store.last_message_id()))

    def pick_lease(self, data: st.DataObject) -> tuple[int, int]:
        """Often a lease that still holds its task, else any lease ever taken."""
        current = [lease for lease in self.leases if self.model.holds(*lease)]
        prefer_current: bool = data.draw(st.booleans(), label="current")
        pool = current if current and prefer_current else self.leases
        lease: tuple[int, int] = data.draw(st.sampled_from(pool), label="lease")
        return lease

    @rule(rows=plan_rows)
    def enqueue_plan(self, rows: list[tuple[str, int, int, bool, set[int]]]) -> None:
        self.plans += 1  # keys name one task of the session, so each plan has its own
        plan = [
            NewTask(key=f"p{self.plans}.{i}", role=role, priority=priority,
                    max_attempts=attempts, run_on_partial=partial,
                    depends_on=[f"p{self.plans}.{j}" for j in sorted(deps) if j < i])
            for i, (role, priority, attempts, partial, deps) in enumerate(rows)
        ]
        ids = self.run(self.store.enqueue_plan(self.session_id, plan))
        assert ids == self.model.enqueue(plan)

    @precondition(lambda self: self.model.tasks)
    @rule(data=st.data(), role=st.sampled_from("ab"), partial=st.booleans())
    def enqueue_after_existing(self, data: st.DataObject, role: str, partial: bool) -> None:
        deps = data.draw(st.sets(st.sampled_from(sorted(self.model.tasks)), min_size=1,
                                 max_size=2), label="deps")
        task = NewTask(role=role, depends_on=sorted(deps), run_on_partial=partial)
        assert self.run(self.store.enqueue(self.session_id, task)) == self.model.enqueue([task])[0]

    @precondition(lambda self: self.model.tasks)
    @rule(data=st.data(), role=st.sampled_from("ab"))
    def enqueue_before_existing(self, data: st.DataObject, role: str) -> None:
        ids = sorted(self.model.tasks)
        deps = data.draw(st.sets(st.sampled_from(ids), max_size=1), label="deps")
        before = data.draw(st.sets(st.sampled_from(ids), min_size=1, max_size=2),
                           label="before")
        task = NewTask(role=role, depends_on=sorted(deps), before=sorted(before))
        expected = self.model.enqueue_before(task)
        if expected is None:
            snapshot = self.snapshot()
            with pytest.raises(InvalidTask):
                self.run(self.store.enqueue(self.session_id, task))
            assert self.snapshot() == snapshot, "a refused enqueue changed the queue or bus"
        else:
            assert self.run(self.store.enqueue(self.session_id, task)) == expected

    @rule(worker=st.sampled_from(WORKERS), roles=st.sampled_from(ROLE_SETS),
          limit=st.integers(1, 3), lease_s=st.sampled_from([1.0, 4.0]))
    def claim(self, worker: str, roles: tuple[str, ...], limit: int, lease_s: float) -> None:
        claimed = self.run(self.store.claim(worker, roles, limit, lease_s=lease_s))
        expected = self.model.claim(worker, roles, limit, lease_s, self.clock.now)
        assert [(t.id, t.attempt) for t in claimed] == expected
        assert all(t.lease_owner == worker for t in claimed)
        self.leases.extend(expected)

    @precondition(lambda self: self.leases)
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        task_id, attempt = self.pick_lease(data)
        stale = not self.model.holds(task_id, attempt)
        before = self.snapshot() if stale else None
        done = self.run(self.store.complete(task_id, attempt, {"attempt": attempt}))
        assert done == self.model.complete(task_id, attempt)
        if stale:
            assert self.snapshot() == before, "a stale completion changed the queue or bus"

    @precondition(lambda self: self.leases)
    @rule(data=st.data(), retry=st.booleans(), retry_in=st.sampled_from([None, 0.0, 2.0]))
    def fail(self, data: st.DataObject, retry: bool, retry_in: float | None) -> None:
        task_id, attempt = self.pick_lease(data)
        stale = not self.model.holds(task_id, attempt)
        before = self.snapshot() if stale else None
        status = self.run(self.store.fail(task_id, attempt, "boom", retry=retry,
                                          retry_in=retry_in))
        assert status == self.model.fail(task_id, attempt, retry, retry_in, self.clock.now)
        if stale:
            assert self.snapshot() == before, "a stale failure changed the queue or bus"

    @rule(seconds=st.sampled_from([0.25, 0.5, 1.0, 2.5, 5.0]))
    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule()
    def requeue_expired(self) -> None:
        now = self.clock.now
        expected = self.model.release(
            lambda t: t.lease_expires is not None and t.lease_expires < now)
        assert self.run(self.store.requeue_expired()) == expected

    @rule(worker=st.sampled_from(WORKERS))
    def release_worker(self, worker: str) -> None:
        expected = self.model.release(lambda t: t.owner == worker)
        assert self.run(self.store.release_worker(worker, "worker died")) == expected

    @rule(worker=st.sampled_from(WORKERS), lease_s=st.sampled_from([1.0, 4.0]))
    def heartbeat(self, worker: str, lease_s: float) -> None:
        extended = self.run(self.store.heartbeat(worker, WorkerBeat(), lease_s=lease_s))
        assert extended == self.model.heartbeat(worker, lease_s, self.clock.now)

    @precondition(lambda self: self.model.tasks)
    @rule(data=st.data())
    def cancel_task(self, data: st.DataObject) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.model.tasks)), label="task")
        cancelled = self.run(self.store.cancel_task(task_id, "not needed"))
        assert cancelled == self.model.cancel(task_id)

    @invariant()
    def queue_matches_model(self) -> None:
        stored = {t.id: t for t in self.run(self.store.list_tasks(self.session_id))}
        assert {i: (t.status, t.attempt) for i, t in stored.items()} == {
            i: (t.status, t.attempt) for i, t in self.model.tasks.items()}
        for task_id, task in stored.items():
            expected = self.model.tasks[task_id]
            assert (task.lease_owner, task.lease_expires) == (
                expected.owner, expected.lease_expires), f"lease of task {task_id}"

    @invariant()
    def bus_agrees_with_queue(self) -> None:
        after = self.messages[-1].id if self.messages else 0
        self.messages += self.run(
            self.store.read([session_channel(self.session_id)], after, limit=10_000))
        status, started = replay(self.messages)
        tasks = self.model.tasks
        assert {i: status.get(i, TaskStatus.BLOCKED) for i in tasks} == {
            i: t.status for i, t in tasks.items()}
        assert {i: started[i] for i in tasks} == {i: t.attempt for i, t in tasks.items()}


TestQueueModel = QueueMachine.TestCase
TestQueueModel.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class RedisQueueMachine(QueueMachine):
    """The same machine on `RedisStore`, on the test run's `redis-server`."""

    url: ClassVar[str] = ""

    async def open_store(self) -> Store:
        from taskqueue.redis import RedisStore

        store = await RedisStore.open(
            self.url, clock=self.clock, retry=RetryPolicy(base_s=1.0, max_s=60.0),
            rng=lambda: 0.0)
        await store.flush()
        return store


TestRedisQueueModel = RedisQueueMachine.TestCase
TestRedisQueueModel.settings = TestQueueModel.settings


@pytest.fixture(autouse=True)
def _redis_server_for_the_machine(request: pytest.FixtureRequest) -> None:
    if request.cls is TestRedisQueueModel:
        RedisQueueMachine.url = request.getfixturevalue("redis_url")
