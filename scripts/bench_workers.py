"""Worker figures for `scripts/bench.py`: real worker processes and the supervisor.

Each public function measures one experiment and returns its figures by key. Every
worker started here runs in its own session and is stopped, killed if need be, and
reaped before the function returns, however it returns.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from _bench_util import (
    BenchFailed,
    check_alive,
    cpu_ticks,
    has_exited,
    log_tail,
    poll_workers,
    stop_group,
    workdir,
    worker_processes,
)
from bench_queue import ROLE, percentile

from orchestrator.pids import pid_alive
from orchestrator.supervisor import Supervisor
from orchestrator.supervisor_config import RoleWorkers, SupervisorConfig
from skills.builtin.noop import Noop
from taskqueue import (
    Message,
    NewTask,
    SqliteStore,
    Store,
    TaskStatus,
    WorkerInfo,
    default_store_url,
    open_store,
    session_channel,
)
from worker.config import WorkerSettings

TIMEOUT_S = 300.0
# How the throughput figures start their workers (the brief of issue 3).
NOOP_WORKER_ARGS = ("--concurrency", "16", "--idle-poll-s", "0.05")

SLEEP_SKILL = '''\
"""A skill that sleeps, so that a worker can be killed while it holds the task."""
import asyncio

from skills.contracts import SkillResult


class BenchSleep:
    name = "bench_sleep"

    async def execute(self, ctx):
        await asyncio.sleep(float(ctx.input.get("seconds", 600)))
        return SkillResult()
'''


async def _registered(store: Store, pids: set[int]) -> bool:
    return {w.pid for w in await store.list_workers()} >= pids


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchFailed(f"no VmRSS for pid {pid}")


# --- no-op throughput ----------------------------------------------------------------------


async def _noop_through(home: Path, n: int, workers: int, url: str | None) -> float:
    deadline = time.monotonic() + TIMEOUT_S
    store = await open_store(url or default_store_url(home), sender="bench")
    store_args = ("--store", url) if url else ()
    try:
        session = await store.create_session("benchmark: no-op tasks", {})
        with worker_processes(home, workers, (*NOOP_WORKER_ARGS, *store_args)) as procs:
            pids = {proc.pid for proc, _ in procs}
            await poll_workers(lambda: _registered(store, pids), procs, deadline,
                               "workers to register")
            tasks = [NewTask(role=ROLE, skill="noop") for _ in range(n)]

            async def all_done() -> bool:
                counts = await store.counts(session.id)
                return sum(c.count for c in counts if c.status is TaskStatus.DONE) >= n

            start = time.perf_counter()
            await store.enqueue_plan(session.id, tasks)
            await poll_workers(all_done, procs, deadline, f"{n} no-op tasks", every_s=0.01)
            elapsed = time.perf_counter() - start
    finally:
        await store.close()
    return n / elapsed


def noop_tasks_per_s(tmp: Path, n: int, workers: int, url: str | None = None) -> float:
    """`n` no-op tasks through `workers` real worker processes, from the enqueue of the
    whole batch (every worker registered) until all are done: tasks per second. `url`:
    a store other than the workspace's SQLite file (an empty one)."""
    with workdir(tmp, f"noop-{workers}w") as home:
        return asyncio.run(_noop_through(home, n, workers, url))


def noop_call_s(n: int) -> float:
    """Seconds per `await Noop().execute(ctx)` in a plain loop (no queue, no worker)."""

    async def loop() -> float:
        start = time.perf_counter()
        for _ in range(n):
            await Noop().execute(None)  # type: ignore[arg-type]  # noop never reads ctx
        return (time.perf_counter() - start) / n

    return asyncio.run(loop())


def noop_throughput(tmp: Path, n: int) -> dict[str, float]:
    """No-op tasks through 1, 2 and 4 workers, and the overhead per task through 2."""
    figures = {f"noop_tasks_per_s_{w}w": noop_tasks_per_s(tmp, n, w) for w in (1, 2, 4)}
    figures["noop_tasks_per_s"] = figures.pop("noop_tasks_per_s_2w")
    call_s = noop_call_s(max(n, 10_000))
    figures["noop_plain_calls_per_s"] = 1 / call_s
    figures["overhead_per_task_ms"] = (1 / figures["noop_tasks_per_s"] - call_s) * 1000
    return figures


# --- an idle worker -----------------------------------------------------------------------


async def _idle_worker(home: Path, idle_s: float) -> dict[str, float]:
    deadline = time.monotonic() + TIMEOUT_S
    async with await SqliteStore.open(home / "swarm.db", sender="bench") as store:
        with worker_processes(home, 1) as procs:
            [(proc, _)] = procs
            await poll_workers(lambda: _registered(store, {proc.pid}), procs, deadline,
                        "the worker to register")
            # Settle first: the figure is for a worker that has been waiting a while.
            await asyncio.sleep(0.5)
            ticks, wall = cpu_ticks(proc.pid), time.monotonic()
            await asyncio.sleep(idle_s)
            check_alive(procs)
            cpu_s = (cpu_ticks(proc.pid) - ticks) / os.sysconf("SC_CLK_TCK")
            figures = {
                "idle_worker_rss_mb": _rss_mb(proc.pid),
                "idle_worker_cpu_percent": cpu_s / (time.monotonic() - wall) * 100,
            }
    return figures


def idle_worker(tmp: Path, idle_s: float = 2.0) -> dict[str, float]:
    """One `python -m worker --role r` with its default settings, idle for `idle_s`:
    its VmRSS at the end, and its CPU time over the idle time (from /proc/<pid>)."""
    with workdir(tmp, "idle-worker") as home:
        return asyncio.run(_idle_worker(home, idle_s))


# --- recovery after SIGKILL ---------------------------------------------------------------


class BusFollower:
    """Reads one channel from an offset, waiting for news between reads."""

    def __init__(self, store: Store, channel: str) -> None:
        self._store = store
        self._channel = channel
        self._after = 0

    async def next_started(self, task_id: int, deadline: float) -> Message:
        """The next `task.started` for `task_id` on the channel."""
        while True:
            seen = self._store.news_version
            for message in await self._store.read([self._channel], self._after):
                self._after = message.id
                if message.kind == "task.started" and message.body["task_id"] == task_id:
                    return message
            if time.monotonic() > deadline:
                raise BenchFailed(f"task {task_id} was not started again in time")
            await self._store.wait_for_news(0.05, seen)


async def _workers_ready(
    store: Store, count: int, deadline: float, alive: Callable[[], None] = lambda: None,
) -> list[WorkerInfo]:
    """Wait until `count` live workers have registered and sent a heartbeat since, so each
    is in its claim loop with its change watcher running. `alive` raises if what keeps
    the workers is gone."""
    while True:
        live = [w for w in await store.list_workers()
                if w.heartbeat_at > w.started_at and pid_alive(w.pid)]
        if len(live) >= count:
            return live
        alive()
        if time.monotonic() > deadline:
            raise BenchFailed(f"{len(live)} of {count} workers ready in time")
        await asyncio.sleep(0.02)


def _sleep_skill_dir(home: Path) -> Path:
    skills_dir = home / "bench-skills"
    skills_dir.mkdir()
    (skills_dir / "bench_sleep.py").write_text(textwrap.dedent(SLEEP_SKILL), encoding="utf-8")
    return skills_dir


async def _kill_the_holder(
    store: Store, session_id: str, kills: int, deadline: float,
    alive: Callable[[], None] = lambda: None,
) -> list[float]:
    """With 2 workers of role `r` kept alive by someone: enqueue a sleeping task, then
    `kills` times SIGKILL the worker holding it (its pid from the store's worker
    records), each once both workers are live. Seconds from each kill to the task's next
    claim (the time of its next `task.started`, stamped in the claim)."""
    await _workers_ready(store, 2, deadline, alive)
    bus = BusFollower(store, session_channel(session_id))
    task_id = await store.enqueue(session_id, NewTask(
        role=ROLE, skill="bench_sleep", max_attempts=kills + 5))
    started = await bus.next_started(task_id, deadline)
    samples: list[float] = []
    for _ in range(kills):
        live = {w.id: w.pid for w in await _workers_ready(store, 2, deadline, alive)}
        holder = live.get(started.body["worker"])
        if holder is None:
            raise BenchFailed(f"the worker holding task {task_id} is not live")
        killed_at = time.time()
        os.kill(holder, signal.SIGKILL)
        started = await bus.next_started(task_id, deadline)
        samples.append(started.time - killed_at)
    return samples


async def _recovery(home: Path, kills: int) -> list[float]:
    config = SupervisorConfig(
        home=home, roles={ROLE: RoleWorkers(workers=2, concurrency=1)},
        skills_dirs=[_sleep_skill_dir(home)], worker=WorkerSettings(grace_s=1.0),
        # The slot of a killed worker restarts within 0.5 s however often it is killed
        # here; the figure is the task's recovery, which the other worker provides.
        restart_backoff_max_s=0.5,
    )
    deadline = time.monotonic() + TIMEOUT_S
    async with await open_store(default_store_url(home), sender="bench") as store:
        session = await store.create_session("benchmark: recovery", {})
        supervisor = Supervisor(config, store)
        try:
            await supervisor.start()
            return await _kill_the_holder(store, session.id, kills, deadline)
        finally:
            await supervisor.stop()


def _percentiles(samples_s: list[float]) -> dict[str, float]:
    samples = [s * 1000 for s in samples_s]
    return {
        "recovery_p50_ms": percentile(samples, 50),
        "recovery_p99_ms": percentile(samples, 99),
    }


def recovery(tmp: Path, kills: int = 20) -> dict[str, float]:
    """A Supervisor in this process with 2 workers, on the workspace's SQLite file;
    SIGKILL the one holding a sleeping task, `kills` times, and time from the kill to
    the task's next `task.started` (its claim time)."""
    with workdir(tmp, "recovery") as home:
        return _percentiles(asyncio.run(_recovery(home, kills)))


# What `serve` reads from its home: its workers stop within 1 s, as `recovery`'s do.
SERVE_CONFIG = "grace_s = 1.0\n"


@contextmanager
def serve_process(home: Path, url: str, *args: str) -> Iterator[Callable[[], None]]:
    """`python -m orchestrator --store URL serve --home HOME *args`, logging to
    HOME/serve.log; yields a check that raises if it has exited. On exit SIGTERM (it
    stops its workers), then SIGKILL what is left of its group, and reap."""
    log = home / "serve.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "--store", url, "serve",
             "--home", str(home), *args],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)

    def alive() -> None:
        if has_exited(proc):
            raise BenchFailed(f"swarm serve exited early: {log_tail(log)}")

    try:
        yield alive
    finally:
        stop_group(proc, signal.SIGTERM, 30.0)


async def _recovery_served(kills: int, url: str, alive: Callable[[], None]) -> list[float]:
    deadline = time.monotonic() + TIMEOUT_S
    async with await open_store(url, sender="bench") as store:
        session = await store.create_session("benchmark: recovery", {})
        return await _kill_the_holder(store, session.id, kills, deadline, alive)


def recovery_served(tmp: Path, url: str, kills: int = 20) -> dict[str, float]:
    """As `recovery`, with the workers of a real `swarm serve --store URL --workers r=2`
    process (its own supervisor, its defaults but `grace_s`), on the empty store at
    `url`: the SIGKILLed worker's host keeps serving while another worker claims."""
    with workdir(tmp, "recovery-serve") as home:
        (home / "config.toml").write_text(SERVE_CONFIG, encoding="utf-8")
        skills_dir = _sleep_skill_dir(home)
        with serve_process(home, url, "--workers", f"{ROLE}=2",
                           "--skills-dir", str(skills_dir)) as alive:
            return _percentiles(asyncio.run(_recovery_served(kills, url, alive)))


# --- what a SIGKILL mid-task loses or runs twice --------------------------------------------

SLOW_LOG_SKILL = '''\
"""A slow task that logs its start (with its pid) and its end, as the Redis peers' do."""
import asyncio
import os

from skills.contracts import SkillResult


class BenchSlowLog:
    name = "bench_slow_log"

    async def execute(self, ctx):
        with open(ctx.input["log"], "a") as out:
            out.write(f"s{ctx.input['n']} {os.getpid()}\\n")
        await asyncio.sleep(float(ctx.input["seconds"]))
        with open(ctx.input["log"], "a") as out:
            out.write(f"d{ctx.input['n']}\\n")
        return SkillResult()
'''
KILL_TASK_S = 0.5
# How long the survivors get, after the kill, to finish every task (as the peers get).
AFTER_KILL_S = 15.0


async def lost_and_twice_on_kill(home: Path, n: int, url: str | None = None) -> tuple[int, int]:
    """A Supervisor with 2 workers (16 tasks at a time each) and `n` tasks of 0.5 s;
    SIGKILL the worker running the first to start. Returns how many tasks never ended
    within `AFTER_KILL_S` of the kill, and how many ended twice."""
    skills_dir = home / "bench-skills"
    skills_dir.mkdir()
    (skills_dir / "bench_slow_log.py").write_text(SLOW_LOG_SKILL, encoding="utf-8")
    log = home / "tasks.log"
    config = SupervisorConfig(
        home=home, roles={ROLE: RoleWorkers(workers=2, concurrency=16)},
        skills_dirs=[skills_dir], worker=WorkerSettings(grace_s=1.0), store=url)
    deadline = time.monotonic() + TIMEOUT_S
    async with await open_store(url or default_store_url(home), sender="bench") as store:
        session = await store.create_session("benchmark: a SIGKILL mid-task", {})
        supervisor = Supervisor(config, store)
        try:
            await supervisor.start()
            await _workers_ready(store, 2, deadline)
            await store.enqueue_plan(session.id, [NewTask(
                role=ROLE, skill="bench_slow_log", input={
                    "n": i, "log": str(log), "seconds": KILL_TASK_S}) for i in range(n)])
            while not log.exists() or not log.read_text().startswith("s"):
                if time.monotonic() > deadline:
                    raise BenchFailed("no task started")
                await asyncio.sleep(0.005)
            os.kill(int(log.read_text().split("\n")[0].split()[1]), signal.SIGKILL)
            settle_by = time.monotonic() + AFTER_KILL_S
            while time.monotonic() < settle_by:
                if len(_ends(log)) >= n:
                    break
                await asyncio.sleep(0.05)
        finally:
            await supervisor.stop()
    ends = _ends(log)
    return sum(str(i) not in ends for i in range(n)), sum(c > 1 for c in ends.values())


def _ends(log: Path) -> Counter[str]:
    return Counter(line[1:] for line in log.read_text().split("\n") if line.startswith("d"))
