"""Queue figures for `scripts/bench.py`: the task queue and the bus through `taskqueue`.

Each public function measures one figure (or a few that come from one experiment) and
returns them by key. They take a scratch directory and sizes, print nothing, and remove
what they create; child processes are spawned, and always joined or killed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, cast

from _bench_util import BenchFailed, workdir

from taskqueue import Completion, NewTask, SqliteStore, Task, TaskStatus, open_store

ROLE = "r"
LEASE_S = 60.0
FILL_BATCH = 1000
TIMEOUT_S = 300.0


def _noop(**fields: Any) -> NewTask:
    return NewTask(role=ROLE, skill="noop", **fields)


async def _open_with_session(
    db: Path, sender: str, url: str | None = None
) -> tuple[SqliteStore, str]:
    # A store URL (`--backend redis`) stands in for the SQLite file; the calls are the same.
    if url:
        store = cast(SqliteStore, await open_store(url, sender=sender))
    else:
        store = await SqliteStore.open(db, sender=sender)
    try:
        session = await store.create_session("benchmark", {})
    except BaseException:
        await store.close()
        raise
    return store, session.id


async def _fill(store: SqliteStore, session_id: str, n: int) -> None:
    for first in range(0, n, FILL_BATCH):
        await store.enqueue_plan(session_id, [_noop() for _ in range(min(FILL_BATCH, n - first))])


async def _done_count(store: SqliteStore) -> int:
    return sum(c.count for c in await store.counts() if c.status is TaskStatus.DONE)


async def _claim_and_complete(
    store: SqliteStore, worker_id: str, batch: int, take: int | None = None
) -> list[int]:
    """Claim `batch` at a time and complete them, until `take` are done or none is left.

    `batch` 1 is the one-at-a-time path: `claim(limit=1)` then `complete()`.
    """
    done: list[int] = []
    while take is None or len(done) < take:
        limit = batch if take is None else min(batch, take - len(done))
        claimed = await store.claim(worker_id, [ROLE], limit, lease_s=LEASE_S)
        if not claimed:
            break
        if batch == 1:
            outcomes = [await store.complete(claimed[0].id, claimed[0].attempt)]
        else:
            outcomes = await store.complete_many(
                [Completion(task_id=t.id, attempt=t.attempt) for t in claimed])
        if not all(outcomes):
            raise BenchFailed(f"{worker_id}: a task it had just claimed was not completable")
        done.extend(t.id for t in claimed)
    return done


# --- one process ---------------------------------------------------------------------


async def _claim_complete(db: Path, n: int, batch: int) -> float:
    store, session_id = await _open_with_session(db, "bench")
    try:
        await _fill(store, session_id, n)
        start = time.perf_counter()
        done = await _claim_and_complete(store, "w0", batch)
        elapsed = time.perf_counter() - start
        if len(done) != n or await _done_count(store) != n:
            raise BenchFailed(f"completed {len(done)} of {n}")
    finally:
        await store.close()
    return n / elapsed


def claim_complete_per_s(tmp: Path, n: int, batch: int = 32) -> float:
    """Claim `batch` at a time + `complete_many`, one process, one store: tasks per second."""
    with workdir(tmp, "claim") as work:
        return asyncio.run(_claim_complete(work / "swarm.db", n, batch))


async def _enqueue(db: Path, n: int, batch: int) -> float:
    store, session_id = await _open_with_session(db, "bench")
    try:
        start = time.perf_counter()
        if batch == 1:
            for i in range(n):
                await store.enqueue(session_id, _noop(input={"i": i}))
        else:
            for first in range(0, n, batch):
                last = min(first + batch, n)
                await store.enqueue_plan(
                    session_id, [_noop(input={"i": i}) for i in range(first, last)])
        elapsed = time.perf_counter() - start
        counted = sum(c.count for c in await store.counts(session_id))
    finally:
        await store.close()
    if counted != n:
        raise BenchFailed(f"enqueued {counted} of {n}")
    return n / elapsed


def enqueue_per_s(tmp: Path, n: int) -> float:
    """`store.enqueue`, one task per transaction: tasks per second."""
    with workdir(tmp, "enqueue") as work:
        return asyncio.run(_enqueue(work / "swarm.db", n, 1))


def enqueue_batch_per_s(tmp: Path, n: int, batch: int = 1000) -> float:
    """`store.enqueue_plan` with `batch` tasks per call: tasks per second."""
    with workdir(tmp, "enqueue-batch") as work:
        return asyncio.run(_enqueue(work / "swarm.db", n, batch))


async def _backlog(work: Path, backlog: int, take: int, short: int, batch: int) -> dict[str, float]:
    """Alternate slices of `short` tasks: from the front of a long queue (`backlog` queued),
    and from a short one refilled with `short` tasks before each slice (refills untimed).

    Interleaving keeps the machine's noise out of the ratio as far as it can.
    """
    long_store, long_session = await _open_with_session(work / "long.db", "bench")
    try:
        short_store, short_session = await _open_with_session(work / "short.db", "bench")
        try:
            await _fill(long_store, long_session, backlog)
            timed = {"long": 0.0, "short": 0.0}
            taken = {"long": 0, "short": 0}
            while taken["long"] < take:
                await _fill(short_store, short_session, short)
                for name, store in (("short", short_store), ("long", long_store)):
                    start = time.perf_counter()
                    taken[name] += len(await _claim_and_complete(store, "w0", batch, short))
                    timed[name] += time.perf_counter() - start
        finally:
            await short_store.close()
    finally:
        await long_store.close()
    if taken["long"] != taken["short"] or taken["long"] < take:
        raise BenchFailed(f"took {taken} tasks, expected {take} from each queue")
    long_rate, short_rate = taken["long"] / timed["long"], taken["short"] / timed["short"]
    return {
        "claim_backlog_ratio": long_rate / short_rate,
        "claim_complete_long_queue_per_s": long_rate,
        "claim_complete_short_queue_per_s": short_rate,
    }


def claim_backlog(
    tmp: Path, backlog: int = 100_000, take: int = 2000, short: int = 100, batch: int = 32
) -> dict[str, float]:
    """Claim+complete rate from the front of `backlog` queued ÷ the rate with `short` queued."""
    with workdir(tmp, "backlog") as work:
        return asyncio.run(_backlog(work, backlog, take, short, batch))


# --- child processes -------------------------------------------------------------------

ChildTarget = Callable[..., Any]


class Children:
    """Spawned processes that each report ("ready", name, None), wait for `go`, then
    report ("done", name, outcome); an outcome that is a str is the child's error."""

    def __init__(self, procs: list[BaseProcess], go: Event, messages: Queue[Any]) -> None:
        self.procs = procs
        self.go = go
        self.messages = messages

    def collect(self, deadline: float) -> dict[str, Any]:
        """One message from each child, failing early if a child dies without one."""
        received: dict[str, Any] = {}
        while len(received) < len(self.procs):
            try:
                _, name, outcome = self.messages.get(timeout=0.05)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in self.procs):
                    raise BenchFailed("a bench child process died") from None
                if time.monotonic() > deadline:
                    raise BenchFailed("bench child processes timed out") from None
                continue
            if isinstance(outcome, str):
                raise BenchFailed(f"child {name} failed: {outcome}")
            received[name] = outcome
        return received


@contextmanager
def spawned(target: ChildTarget, args: Sequence[tuple[Any, ...]]) -> Iterator[Children]:
    """Start `target(name, go, messages, *a)` for each `a` in `args`; join or kill at exit."""
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    messages: Queue[Any] = ctx.Queue()
    procs: list[BaseProcess] = [
        ctx.Process(target=target, args=(f"c{i}", go, messages, *a), daemon=True)
        for i, a in enumerate(args)
    ]
    try:
        for proc in procs:
            proc.start()
        yield Children(procs, go, messages)
    finally:
        go.set()
        for proc in procs:
            if proc.pid is None:
                continue
            proc.join(10.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
        messages.close()
        messages.join_thread()


def _child_main(
    name: str, go: Event, messages: Queue[Any],
    work: Callable[[Callable[[], None]], Any],
) -> None:
    """Run `work(ready)` in a child; `ready()` reports ready and waits for `go`."""

    def ready() -> None:
        messages.put(("ready", name, None))
        if not go.wait(TIMEOUT_S):
            raise BenchFailed("never told to start")

    try:
        outcome = work(ready)
    except Exception as exc:
        # Reported rather than raised, so the parent fails at once instead of timing out.
        outcome = f"{type(exc).__name__}: {exc}"
    messages.put(("done", name, outcome))


# --- two processes ---------------------------------------------------------------------


async def _drain_in_child(db: str, name: str, batch: int, ready: Callable[[], None]) -> list[int]:
    store = await SqliteStore.open(db, sender=name)
    try:
        ready()
        return await _claim_and_complete(store, name, batch)
    finally:
        await store.close()


def _drain_child(name: str, go: Event, messages: Queue[Any], db: str, batch: int) -> None:
    _child_main(name, go, messages,
                lambda ready: asyncio.run(_drain_in_child(db, name, batch, ready)))


def claim_complete_2proc(tmp: Path, n: int, batch: int = 32, procs: int = 2) -> dict[str, float]:
    """Two processes, each with its own store, claiming and completing the same queue.

    Every task must be done exactly once. Also returns the smaller share of the work a
    process got (0.5 is perfectly fair).
    """
    with workdir(tmp, "claim-2proc") as work:
        db = work / "swarm.db"

        async def fill() -> None:
            store, session_id = await _open_with_session(db, "bench")
            try:
                await _fill(store, session_id, n)
            finally:
                await store.close()

        asyncio.run(fill())
        deadline = time.monotonic() + TIMEOUT_S
        with spawned(_drain_child, [(str(db), batch)] * procs) as children:
            children.collect(deadline)  # every child ready: start-up stays untimed
            start = time.perf_counter()
            children.go.set()
            outcomes: dict[str, list[int]] = children.collect(deadline)
            elapsed = time.perf_counter() - start
        ids = [task_id for done in outcomes.values() for task_id in done]
        if len(ids) != n or len(set(ids)) != n:
            raise BenchFailed(f"{len(ids)} completions of {len(set(ids))} distinct tasks, "
                              f"expected {n} tasks each done once")

        async def count() -> int:
            async with await SqliteStore.open(db, sender="bench") as store:
                return await _done_count(store)

        if asyncio.run(count()) != n:
            raise BenchFailed("the database does not show every task done")
    return {
        "claim_complete_2proc_per_s": n / elapsed,
        "claim_complete_2proc_min_share": min(len(d) for d in outcomes.values()) / n,
    }


# --- dispatch latency and the idle waiter -----------------------------------------------


async def _dispatch_in_child(db: str, expected: int, ready: Callable[[], None]) -> dict[str, Any]:
    """Idle until news, claim, and note how long each task took from enqueue to claim.
    `db` is a SQLite file, or a store URL."""
    store = await open_store(db if "://" in db else f"sqlite://{db}", sender="waiter")
    latencies: list[float] = []
    try:
        await store.wait_for_news(0.01)  # starts the change watcher before the clock does
        ready()
        deadline = time.monotonic() + TIMEOUT_S
        cpu, wall = time.process_time(), time.monotonic()
        while len(latencies) < expected and time.monotonic() < deadline:
            seen = store.news_version
            claimed: list[Task] = await store.claim("waiter", [ROLE], 1, lease_s=LEASE_S)
            if not claimed:
                await store.wait_for_news(1.0, seen)
                continue
            now = time.time()
            latencies.extend(now - t.input["t"] for t in claimed)
            await store.complete_many([Completion(task_id=t.id, attempt=t.attempt)
                                       for t in claimed])
        cpu_percent = (time.process_time() - cpu) / (time.monotonic() - wall) * 100
    finally:
        await store.close()
    return {"latencies": latencies, "cpu_percent": cpu_percent}


def _dispatch_child(name: str, go: Event, messages: Queue[Any], db: str, expected: int) -> None:
    _child_main(name, go, messages,
                lambda ready: asyncio.run(_dispatch_in_child(db, expected, ready)))


async def _enqueue_spaced(store: SqliteStore, session_id: str, n: int, rng: random.Random) -> None:
    for _ in range(n):
        await asyncio.sleep(rng.uniform(0.005, 0.030))
        await store.enqueue(session_id, _noop(input={"t": time.time()}))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated linearly between closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def dispatch(
    tmp: Path, n: int = 200, seed: int | None = None, url: str | None = None
) -> dict[str, float]:
    """Enqueue → claimed by an idle process waiting for news: p50 and p99 in ms.

    The parent enqueues one task at a time with random 5-30 ms gaps; the child loops
    `v = news_version; claim; if nothing: wait_for_news(1.0, v)`. Also returns the
    child's CPU use over the run, which shows whether it waited or spun. `url`: a store
    other than a fresh SQLite file (an empty one).
    """
    rng = random.Random(seed)
    with workdir(tmp, "dispatch") as work:
        db = work / "swarm.db"
        deadline = time.monotonic() + TIMEOUT_S
        with spawned(_dispatch_child, [(url or str(db), n)]) as children:

            async def produce() -> None:
                store, session_id = await _open_with_session(db, "bench", url)
                try:
                    children.collect(deadline)
                    children.go.set()
                    await _enqueue_spaced(store, session_id, n, rng)
                finally:
                    await store.close()

            asyncio.run(produce())
            [outcome] = children.collect(deadline).values()
    latencies = [s * 1000 for s in outcome["latencies"]]
    if len(latencies) != n:
        raise BenchFailed(f"the waiter claimed {len(latencies)} of {n} tasks")
    return {
        "dispatch_p50_ms": percentile(latencies, 50),
        "dispatch_p99_ms": percentile(latencies, 99),
        "dispatch_waiter_cpu_percent": float(outcome["cpu_percent"]),
    }


async def _idle_in_child(db: str, seconds: float, ready: Callable[[], None]) -> float:
    store = await SqliteStore.open(db, sender="idle")
    try:
        await store.wait_for_news(0.01)  # starts the change watcher
        ready()
        cpu, wall = time.process_time(), time.monotonic()
        end = wall + seconds
        while (left := end - time.monotonic()) > 0:
            await store.wait_for_news(min(1.0, left))
        return (time.process_time() - cpu) / (time.monotonic() - wall) * 100
    finally:
        await store.close()


def _idle_child(name: str, go: Event, messages: Queue[Any], db: str, seconds: float) -> None:
    _child_main(name, go, messages,
                lambda ready: asyncio.run(_idle_in_child(db, seconds, ready)))


def idle_wait_cpu_percent(tmp: Path, seconds: float = 5.0) -> float:
    """CPU time ÷ wall time × 100 of a process doing nothing but `wait_for_news(1.0)`
    while nothing writes: its own `time.process_time()`, every thread included."""
    with workdir(tmp, "idle-wait") as work:
        db = work / "swarm.db"

        async def create() -> None:
            await (await SqliteStore.open(db, sender="bench")).close()

        asyncio.run(create())
        deadline = time.monotonic() + TIMEOUT_S + seconds
        with spawned(_idle_child, [(str(db), seconds)]) as children:
            children.collect(deadline)
            children.go.set()
            [cpu_percent] = children.collect(deadline).values()
    return float(cpu_percent)
