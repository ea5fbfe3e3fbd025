"""Reference and peer figures for `scripts/bench.py`.

Each public function measures one figure and returns it as a float (operations per
second). They take a scratch directory `tmp` and a size, print nothing, keep no
global state, and remove what they create. A peer queue that is not installed makes
its function raise `PeerMissing`, so the caller omits the figure instead of faking it.

Run this file alone to try every figure once with a small size.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import queue
import sqlite3
import subprocess
import sys
import tempfile
import time
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from _bench_util import BenchFailed, PeerMissing, import_peer, stop_group, wait_until, workdir

__all__ = [
    "FIGURES",
    "BenchFailed",
    "PeerMissing",
    "huey_claim_complete_per_s",
    "huey_e2e_tasks_per_s",
    "litequeue_claim_complete_per_s",
    "persist_queue_claim_complete_per_s",
    "raw_claim_complete_2proc_per_s",
    "raw_claim_complete_per_s",
    "raw_enqueue_batch_per_s",
    "raw_enqueue_per_s",
]

ROLE = "bench"
LEASE_S = 30.0
TIMEOUT_S = 300.0

SCHEMA = """
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    role TEXT,
    priority INT,
    status TEXT,
    payload TEXT,
    lease_owner TEXT,
    lease_expires REAL
);
CREATE INDEX tasks_claimable ON tasks (role, priority DESC, id) WHERE status = 'queued';
"""
INSERT = "INSERT INTO tasks (role, priority, status, payload) VALUES (?, 0, 'queued', ?)"
CLAIM = (
    "UPDATE tasks SET status = 'running', lease_owner = ?, lease_expires = ? "
    "WHERE id = (SELECT id FROM tasks WHERE status = 'queued' AND role = ? "
    "ORDER BY priority DESC, id LIMIT 1) RETURNING id, payload"
)
COMPLETE = "UPDATE tasks SET status = 'done' WHERE id = ? AND status = 'running'"


def _payload(i: int) -> str:
    return f'{{"i": {i}}}'


# --- the raw SQLite reference -------------------------------------------------------


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None, timeout=5.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def _create(db: Path) -> sqlite3.Connection:
    conn = _connect(db)
    conn.executescript(SCHEMA)
    return conn


def _fill(conn: sqlite3.Connection, n: int) -> None:
    conn.execute("BEGIN")
    conn.executemany(INSERT, ((ROLE, _payload(i)) for i in range(n)))
    conn.execute("COMMIT")


def _claim_complete_loop(conn: sqlite3.Connection, owner: str) -> list[int]:
    """Claim and complete until nothing is queued; return the ids completed."""
    completed: list[int] = []
    while True:
        # fetchone steps the statement to its end, so autocommit commits here.
        row = conn.execute(CLAIM, (owner, time.time() + LEASE_S, ROLE)).fetchone()
        if row is None:
            return completed
        if conn.execute(COMPLETE, (row[0],)).rowcount != 1:
            raise BenchFailed(f"task {row[0]} claimed but not completable by {owner}")
        completed.append(row[0])


def raw_claim_complete_per_s(tmp: Path, n: int) -> float:
    """Plain sqlite3, one process, one task at a time: claim + complete per second."""
    with workdir(tmp, "raw") as work:
        conn = _create(work / "raw.db")
        try:
            _fill(conn, n)
            start = time.perf_counter()
            completed = _claim_complete_loop(conn, "w0")
            elapsed = time.perf_counter() - start
        finally:
            conn.close()
    if len(completed) != n:
        raise BenchFailed(f"completed {len(completed)} of {n}")
    return n / elapsed


def raw_enqueue_per_s(tmp: Path, n: int) -> float:
    """Plain sqlite3 inserts, one task per (autocommit) transaction, per second."""
    with workdir(tmp, "raw-enqueue") as work:
        conn = _create(work / "raw.db")
        try:
            start = time.perf_counter()
            for i in range(n):
                conn.execute(INSERT, (ROLE, _payload(i)))
            elapsed = time.perf_counter() - start
        finally:
            conn.close()
    return n / elapsed


def raw_enqueue_batch_per_s(tmp: Path, n: int, batch: int = 1000) -> float:
    """Plain sqlite3 inserts per second, `batch` tasks per transaction."""
    with workdir(tmp, "raw-batch") as work:
        conn = _create(work / "raw.db")
        try:
            start = time.perf_counter()
            for first in range(0, n, batch):
                rows = [(ROLE, _payload(i)) for i in range(first, min(first + batch, n))]
                conn.execute("BEGIN")
                conn.executemany(INSERT, rows)
                conn.execute("COMMIT")
            elapsed = time.perf_counter() - start
        finally:
            conn.close()
    return n / elapsed


def _raw_worker(db: str, owner: str, go: Event, messages: Queue[Any]) -> None:
    """One process of the multi-process reference: report ready, then its ids or its error."""
    try:
        conn = _connect(Path(db))
        try:
            messages.put(("ready", owner, None))
            if not go.wait(TIMEOUT_S):
                raise BenchFailed("never told to start")
            outcome: list[int] | str = _claim_complete_loop(conn, owner)
        finally:
            conn.close()
    except Exception as exc:
        # Reported rather than raised, so the parent fails at once instead of timing out.
        outcome = f"{type(exc).__name__}: {exc}"
    messages.put(("done", owner, outcome))


def _collect(
    messages: Queue[Any], workers: list[BaseProcess], deadline: float
) -> list[tuple[str, str, Any]]:
    """One message from each worker, failing early if a worker dies without sending one."""
    received: list[tuple[str, str, Any]] = []
    while len(received) < len(workers):
        try:
            received.append(messages.get(timeout=0.05))
        except queue.Empty:
            if any(proc.exitcode not in (None, 0) for proc in workers):
                raise BenchFailed("a bench process died") from None
            if time.monotonic() > deadline:
                raise BenchFailed("bench processes timed out") from None
    return received


def _run_raw_workers(db: Path, procs: int, timeout_s: float) -> tuple[list[Any], float]:
    """Run the raw loop in `procs` spawned processes; return their outcomes and wall time."""
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    messages: Queue[Any] = ctx.Queue()
    workers: list[BaseProcess] = [
        ctx.Process(target=_raw_worker, args=(str(db), f"w{i}", go, messages), daemon=True)
        for i in range(procs)
    ]
    deadline = time.monotonic() + timeout_s
    for proc in workers:
        proc.start()
    try:
        # Spawn start-up stays outside the timing: the clock starts once all are ready.
        _collect(messages, workers, deadline)
        start = time.perf_counter()
        go.set()
        done = _collect(messages, workers, deadline)
        elapsed = time.perf_counter() - start
    finally:
        go.set()
        for proc in workers:
            proc.join(5.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
        messages.close()
    return [(owner, outcome) for _, owner, outcome in done], elapsed


def _check_exactly_once(outcomes: list[tuple[str, list[int] | str]], n: int) -> None:
    seen: set[int] = set()
    for owner, outcome in outcomes:
        if isinstance(outcome, str):
            raise BenchFailed(f"{owner} failed: {outcome}")
        if seen.intersection(outcome):
            raise BenchFailed(f"{owner} completed tasks another process completed")
        seen.update(outcome)
    if len(seen) != n:
        raise BenchFailed(f"completed {len(seen)} distinct tasks of {n}")


def raw_claim_complete_2proc_per_s(
    tmp: Path, n: int, procs: int = 2, timeout_s: float = TIMEOUT_S
) -> float:
    """The raw claim/complete loop in `procs` processes on one database; total per second.

    Every task must be completed exactly once, or this raises `BenchFailed`.
    """
    with workdir(tmp, "raw-2proc") as work:
        db = work / "raw.db"
        conn = _create(db)
        try:
            _fill(conn, n)
        finally:
            conn.close()
        outcomes, elapsed = _run_raw_workers(db, procs, timeout_s)
        _check_exactly_once(outcomes, n)
        conn = _connect(db)
        try:
            done = conn.execute("SELECT count(*) FROM tasks WHERE status = 'done'").fetchone()[0]
        finally:
            conn.close()
    if done != n:
        raise BenchFailed(f"{done} tasks done in the database, expected {n}")
    return n / elapsed


# --- peer queues, through their own APIs ----------------------------------------


def huey_claim_complete_per_s(tmp: Path, n: int) -> float:
    """huey's SqliteStorage with its defaults: dequeue() per second (delete, no ack)."""
    storage_mod = import_peer("huey.storage", "huey")
    with workdir(tmp, "huey") as work:
        db = str(work / "huey.db")
        # The fill skips fsync to save set-up time; the timed instance keeps huey's defaults.
        filler = storage_mod.SqliteStorage(name=ROLE, filename=db, fsync=False)
        try:
            for i in range(n):
                filler.enqueue(_payload(i).encode())
        finally:
            filler.close()
        storage = storage_mod.SqliteStorage(name=ROLE, filename=db)
        try:
            start = time.perf_counter()
            for _ in range(n):
                if storage.dequeue() is None:
                    raise BenchFailed("huey queue ran dry early")
            elapsed = time.perf_counter() - start
        finally:
            storage.close()
    return n / elapsed


def litequeue_claim_complete_per_s(tmp: Path, n: int) -> float:
    """litequeue's LiteQueue: pop() + done(message_id) per second."""
    litequeue = import_peer("litequeue", "litequeue")
    with workdir(tmp, "litequeue") as work:
        queue = litequeue.LiteQueue(str(work / "litequeue.db"))
        try:
            for i in range(n):
                queue.put(_payload(i))
            start = time.perf_counter()
            for _ in range(n):
                message = queue.pop()
                if message is None:
                    raise BenchFailed("litequeue ran dry early")
                queue.done(message.message_id)
            elapsed = time.perf_counter() - start
        finally:
            queue.conn.close()
    return n / elapsed


def persist_queue_claim_complete_per_s(tmp: Path, n: int) -> float:
    """persist-queue's SQLiteAckQueue: get() + ack(item) per second."""
    persistqueue = import_peer("persistqueue", "persist-queue")
    with workdir(tmp, "persistqueue") as work:
        queue = persistqueue.SQLiteAckQueue(
            str(work / "queue"), multithreading=True, auto_commit=True
        )
        try:
            for i in range(n):
                queue.put(_payload(i))
            start = time.perf_counter()
            for _ in range(n):
                # ack(item) finds the item by identity in its unacked cache.
                item = queue.get(block=False)
                if queue.ack(item) is None:
                    raise BenchFailed("persist-queue could not ack an item it gave out")
            elapsed = time.perf_counter() - start
        finally:
            queue.close()
    return n / elapsed


# --- huey end to end: its consumer with process workers ----------------------------

HUEY_APP = "swarm_bench_huey_app"
HUEY_APP_SOURCE = '''\
"""No-op tasks for huey's consumer; generated by swarm's scripts/bench_reference.py."""
import os
import time
from pathlib import Path

from huey import SqliteHuey

HERE = Path(__file__).resolve().parent
huey = SqliteHuey("bench", filename=str(HERE / "huey.db"))


@huey.on_startup()
def wait_for_go():
    # Each worker reports ready, then waits, so the timing excludes process start-up.
    (HERE / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while not (HERE / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.0002)


@huey.task()
def noop():
    # A truthy result is stored, which is how the bench counts completions.
    return True


def enqueue(n):
    # Set-up only: skip fsync on this connection; the consumer keeps huey's defaults.
    huey.storage.conn.execute("pragma synchronous=0")
    for _ in range(n):
        noop()
'''


def _huey_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(work), env.get("PYTHONPATH")) if p)
    return env


def _huey_consumer(work: Path, workers: int, log: Path) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable, "-m", "huey.bin.huey_consumer", f"{HUEY_APP}.huey",
        "--workers", str(workers), "--worker-type", "process",
        # The smallest polling delays, no back-off, no scheduler or health-check work.
        "--delay", "0.001", "--max-delay", "0.001", "--backoff", "1",
        "--no-periodic", "--disable-health-check", "--quiet", "--logfile", str(log),
    ]  # fmt: skip
    return subprocess.Popen(
        argv, cwd=work, env=_huey_env(work), start_new_session=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def huey_e2e_tasks_per_s(
    tmp: Path, n: int, workers: int = 2, timeout_s: float = TIMEOUT_S
) -> float:
    """No-op tasks per second through huey's consumer with `workers` process workers.

    The n tasks are enqueued first (not timed); the clock runs from the moment every
    worker is ready until all n results are in huey's result store.
    """
    if importlib.util.find_spec("huey") is None:
        raise PeerMissing("huey")
    deadline = time.monotonic() + timeout_s
    with workdir(tmp, "huey-e2e") as work:
        (work / f"{HUEY_APP}.py").write_text(HUEY_APP_SOURCE)
        subprocess.run(
            [sys.executable, "-c", f"import {HUEY_APP} as app; app.enqueue({n})"],
            cwd=work, env=_huey_env(work), check=True, timeout=timeout_s,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        log = work / "consumer.log"
        proc = _huey_consumer(work, workers, log)
        results = sqlite3.connect(work / "huey.db", timeout=5.0)
        try:
            wait_until(lambda: len(list(work.glob("ready-*"))) >= workers, proc, log, deadline)
            start = time.perf_counter()
            (work / "go").touch()
            count = "SELECT count(*) FROM kv WHERE queue = 'bench'"
            wait_until(lambda: results.execute(count).fetchone()[0] >= n, proc, log, deadline)
            elapsed = time.perf_counter() - start
        finally:
            results.close()
            stop_group(proc)
    return n / elapsed


FIGURES = {
    "raw_claim_complete_per_s": raw_claim_complete_per_s,
    "raw_enqueue_per_s": raw_enqueue_per_s,
    "raw_enqueue_batch_per_s": raw_enqueue_batch_per_s,
    "raw_claim_complete_2proc_per_s": raw_claim_complete_2proc_per_s,
    "huey_claim_complete_per_s": huey_claim_complete_per_s,
    "litequeue_claim_complete_per_s": litequeue_claim_complete_per_s,
    "persist_queue_claim_complete_per_s": persist_queue_claim_complete_per_s,
    "huey_e2e_tasks_per_s": huey_e2e_tasks_per_s,
}


def main(n: int = 2000) -> None:
    """Measure every figure once with `n` tasks and print one line each."""
    with tempfile.TemporaryDirectory(prefix="swarm-bench-") as tmp:
        for name, measure in FIGURES.items():
            try:
                value = measure(Path(tmp), n)
            except PeerMissing as exc:
                print(f"{name:36} absent ({exc})")
                continue
            print(f"{name:36} {value:12,.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
