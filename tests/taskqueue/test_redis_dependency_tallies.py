"""`RedisStore` decides a blocked task by tallies of its dependencies (`deps_open`,
`deps_bad` in its hash), moved as each dependency's status changes, instead of reading
every dependency each time one ends.

Checked here: a task waiting for thousands of others runs, and the reads the server does
to get it there grow linearly with their number (counted by `INFO commandstats`, never
timed); the tallies agree with a count of the dependencies through a random history
(retries, deaths, releases, cancels, answers, `before`); tasks written before tallies
existed are counted when first decided. The contract suite and the state machine check
the decisions themselves.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from typing import cast

import pytest
import redis.asyncio as aioredis

from support.clock import FakeClock
from support.redis_server import running_redis_server, skip_without_redis_server
from taskqueue import (
    HUMAN_ROLE,
    InvalidTask,
    NewTask,
    Store,
    Task,
    TaskStatus,
)
from taskqueue.models import TERMINAL_STATUSES, UNSUCCESSFUL_STATUSES

PREFIX = "swarm:"
LEASE_S = 30.0
# The commands that read a task's hash or its dependency sets.
READS = ("hget", "hmget", "hgetall", "hexists", "smembers", "sismember", "scard")


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client on the test run's server, to read what the scripts keep."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def _reads(client: aioredis.Redis) -> int:
    stats = await client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in READS)


async def _finish_all_but_the_report(url: str, n: int) -> tuple[int, list[Task]]:
    """A report waiting for `n` researchers, each completed on its own (as `n` workers
    would): the reads the completions cost, and what a writer then claims."""
    from taskqueue.redis import RedisStore

    client = aioredis.Redis.from_url(url, decode_responses=True)
    store = await RedisStore.open(url, clock=FakeClock(), rng=lambda: 0.0)
    try:
        await store.flush()
        session = await store.create_session("many dependencies", {})
        researchers = [NewTask(key=f"r{i}", role="researcher") for i in range(n)]
        report = NewTask(key="report", role="writer", depends_on=[f"r{i}" for i in range(n)])
        await store.enqueue_plan(session.id, [*researchers, report])
        claimed: list[Task] = []
        while len(claimed) < n:
            claimed += await store.claim("w", ["researcher"], 500, lease_s=LEASE_S)
        assert await store.claim("w", ["writer"], 1, lease_s=LEASE_S) == []

        before = await _reads(client)
        for task in claimed:
            assert await store.complete(task.id, task.attempt)
        reads = await _reads(client) - before
        return reads, await store.claim("w", ["writer"], 1, lease_s=LEASE_S)
    finally:
        await store.close()
        await client.aclose()


async def test_a_task_waiting_for_2000_others_runs_and_the_reads_grow_linearly() -> None:
    skip_without_redis_server()
    # A server of its own: no other test's commands in its counts.
    with running_redis_server() as url:
        reads = {}
        for n in (1000, 2000):
            reads[n], writer = await _finish_all_but_the_report(url, n)
            assert [(t.role, t.status, len(t.depends_on)) for t in writer] == [
                ("writer", TaskStatus.RUNNING, n)]

    # Reading every dependency each time one ends costs about n² reads (4,008,000 for
    # 2000 before tallies), a ratio of 4; tallies make it a few per completion (5), a
    # ratio of 2.
    assert reads[2000] <= 10 * 2000, reads
    assert reads[2000] <= 2.2 * reads[1000], reads


async def _task_ids(client: aioredis.Redis, session_id: str) -> list[str]:
    # The client decodes every reply (`decode_responses`), as the store's does.
    return cast(list[str], await client.zrange(f"{PREFIX}tasks:{session_id}", 0, -1))


async def _assert_tallies_agree(
    client: aioredis.Redis, session_id: str, *, counted_only: bool = False
) -> None:
    """Each task's tallies are the count of its dependencies' statuses, and no blocked
    task is left that they decide (queued or cancelled). `counted_only`: tasks without
    tallies (written before them, never decided since) are left out."""
    ids = await _task_ids(client, session_id)
    async with client.pipeline(transaction=True) as pipe:
        for task_id in ids:
            pipe.hmget(f"{PREFIX}task:{task_id}",
                       ["status", "run_on_partial", "deps_open", "deps_bad"])
            pipe.smembers(f"{PREFIX}deps:{task_id}")
        replies = await pipe.execute()
    fields = dict(zip(ids, replies[::2], strict=True))
    deps = dict(zip(ids, replies[1::2], strict=True))
    for task_id in ids:
        status, partial, open_, bad = fields[task_id]
        if open_ is None and counted_only:
            continue
        statuses = [TaskStatus(fields[d][0]) for d in deps[task_id]]
        expected = (sum(s not in TERMINAL_STATUSES for s in statuses),
                    sum(s in UNSUCCESSFUL_STATUSES for s in statuses))
        assert (open_, bad) == tuple(map(str, expected)), f"task {task_id} ({status})"
        if status == TaskStatus.BLOCKED:
            still_open, any_bad = expected
            assert still_open > 0, f"task {task_id} is blocked, but all it waits for ended"
            assert partial == "1" or not any_bad, (
                f"task {task_id} is blocked, but a failed dependency cancels it")


async def test_tallies_agree_with_the_dependencies_through_a_random_history(
    redis_store: Store, raw: aioredis.Redis, clock: FakeClock
) -> None:
    store, rng = redis_store, random.Random(20240601)
    session = await store.create_session("tallies", {})
    ids: list[int] = []
    held: list[Task] = []
    for _step in range(400):
        action = rng.choice(["enqueue"] * 4 + ["claim"] * 3 + ["complete"] * 4 + [
            "fail", "release", "expire", "cancel", "answer"])
        if action == "enqueue" or not ids:
            waiting = [t.id for t in await store.list_tasks(session.id)
                       if t.status in (TaskStatus.QUEUED, TaskStatus.BLOCKED)]
            new = NewTask(
                role=rng.choice(["a", "a", "b", HUMAN_ROLE]), max_attempts=rng.randint(1, 3),
                run_on_partial=rng.random() < 0.3,
                before=rng.sample(waiting, min(len(waiting), rng.randint(0, 2))),
                depends_on=rng.sample(ids[-8:], min(len(ids), rng.randint(0, 3))))
            with contextlib.suppress(InvalidTask):  # a cycle through `before`: refused
                ids.append(await store.enqueue(session.id, new))
        elif action == "claim":
            held += await store.claim(rng.choice(["w1", "w2"]), ["a", "b"], rng.randint(1, 3),
                                      lease_s=LEASE_S)
        elif action in ("complete", "fail") and held:
            task = rng.choice(held)  # perhaps a stale attempt: fenced, it changes nothing
            if action == "complete":
                await store.complete(task.id, task.attempt)
            else:
                await store.fail(task.id, task.attempt, "boom", retry=rng.random() < 0.5,
                                 retry_in=0.0)
        elif action == "release":
            await store.release_worker(rng.choice(["w1", "w2"]), "worker died")
        elif action == "expire":
            clock.advance(LEASE_S + 1)
            await store.requeue_expired()
        elif action == "cancel":
            await store.cancel_task(rng.choice(ids), "not needed")
        elif action == "answer":
            await store.answer_task(rng.choice(ids), {"answer": "yes"})
        await _assert_tallies_agree(raw, session.id)
    statuses = {t.status for t in await store.list_tasks(session.id)}
    assert {TaskStatus.DONE, TaskStatus.CANCELLED, TaskStatus.BLOCKED} <= statuses, statuses


async def _forget_tallies(client: aioredis.Redis, session_id: str) -> None:
    """Make the session's tasks look written by a version without tallies."""
    for task_id in await _task_ids(client, session_id):
        await client.hdel(f"{PREFIX}task:{task_id}", "deps_open", "deps_bad")


async def test_tasks_written_before_tallies_are_counted_when_first_decided(
    redis_store: Store, raw: aioredis.Redis
) -> None:
    store = redis_store
    session = await store.create_session("older tasks", {})
    _, _, both, _, strict, partial = await store.enqueue_plan(session.id, [
        NewTask(key="a", role="r", priority=9),
        NewTask(key="b", role="r", priority=8),
        NewTask(key="both", role="w", depends_on=["a", "b"]),
        NewTask(key="x", role="r", priority=7, max_attempts=1),
        NewTask(key="strict", role="w", depends_on=["x"]),
        NewTask(key="partial", role="p", depends_on=["x"], run_on_partial=True),
    ])
    task_a, task_b, task_x = await store.claim("w1", ["r"], 3, lease_s=LEASE_S)
    assert await store.fail(task_x.id, task_x.attempt, "boom") is TaskStatus.DEAD
    await _forget_tallies(raw, session.id)

    assert await store.complete(task_a.id, task_a.attempt)
    assert (await store.get_task(both)).status is TaskStatus.BLOCKED
    assert await store.complete(task_b.id, task_b.attempt)
    assert (await store.get_task(both)).status is TaskStatus.QUEUED
    assert (await store.get_task(strict)).status is TaskStatus.CANCELLED

    # A queued task without tallies (it ran on partial input: one bad dependency) waits
    # for a follow-up: counted first, so the follow-up is its one open dependency.
    follow_up = await store.enqueue(session.id, NewTask(role="r", before=[partial]))
    assert (await store.get_task(partial)).status is TaskStatus.BLOCKED
    assert await raw.hmget(f"{PREFIX}task:{partial}", ["deps_open", "deps_bad"]) == ["1", "1"]
    [task_f] = await store.claim("w1", ["r"], 1, lease_s=LEASE_S)
    assert task_f.id == follow_up
    assert await store.complete(task_f.id, task_f.attempt)
    assert (await store.get_task(partial)).status is TaskStatus.QUEUED
    await _assert_tallies_agree(raw, session.id, counted_only=True)
