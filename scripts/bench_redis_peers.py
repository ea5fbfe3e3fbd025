"""The Redis peers of `scripts/bench.py --backend redis`: arq, rq and huey's RedisHuey.

Each does the same work as swarm: no-op tasks end to end through 2 worker processes
(`*_e2e_tasks_per_s`), and tasks of 0.5 s of which the process running one is SIGKILLed
(`*_lost_on_kill`, `*_twice_on_kill`). Each peer runs with its own defaults, on the
server the benchmark started, from an app module written into a scratch directory.

A task writes one line to a log when it starts (`s<n> <pid>`, slow tasks only) and when
it ends (`d<n>`), with O_APPEND from a file opened once per process: the same small
cost for every peer, and the count of ends is the count of tasks done.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from _bench_util import BenchFailed, PeerMissing, stop_group, workdir

TIMEOUT_S = 300.0
SLOW_S = 0.5
# How long the survivors get, after the kill, to finish every task they still can.
AFTER_KILL_S = 15.0

TASK_LOG = '''
import os

_fd = None


def log_line(line):
    global _fd
    if _fd is None:
        _fd = os.open(os.environ["BENCH_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.write(_fd, line.encode())
'''

ARQ_APP = TASK_LOG + '''
import asyncio
from arq import create_pool
from arq.connections import RedisSettings

SETTINGS = RedisSettings.from_dsn(os.environ["BENCH_REDIS"])


async def bench_task(ctx, n, seconds):
    if seconds:
        log_line(f"s{n} {os.getpid()}\\n")
        await asyncio.sleep(seconds)
    log_line(f"d{n}\\n")


class WorkerSettings:
    functions = [bench_task]
    redis_settings = SETTINGS


def enqueue(numbers, seconds):
    async def put():
        pool = await create_pool(SETTINGS)
        for n in numbers:
            await pool.enqueue_job("bench_task", n, seconds)
        await pool.aclose()
    asyncio.run(put())
'''

RQ_APP = TASK_LOG + '''
import time
from redis import Redis
from rq import Queue


def bench_task(n, seconds):
    if seconds:
        log_line(f"s{n} {os.getpid()}\\n")
        time.sleep(seconds)
    log_line(f"d{n}\\n")


def enqueue(numbers, seconds):
    queue = Queue("bench", connection=Redis.from_url(os.environ["BENCH_REDIS"]))
    queue.enqueue_many([Queue.prepare_data(bench_task, (n, seconds)) for n in numbers])
'''

HUEY_APP = TASK_LOG + '''
import time
from huey import RedisHuey

huey = RedisHuey("bench", url=os.environ["BENCH_REDIS"], results=False)


@huey.task()
def bench_task(n, seconds):
    if seconds:
        log_line(f"s{n} {os.getpid()}\\n")
        time.sleep(seconds)
    log_line(f"d{n}\\n")


def enqueue(numbers, seconds):
    for n in numbers:
        bench_task(n, seconds)
'''


@dataclass(frozen=True)
class Peer:
    """A peer: its app module's source and how to start its 2 worker processes."""

    name: str
    dist: str
    app: str
    # The commands starting 2 worker processes between them, given the app's module name.
    commands: Callable[[str], list[list[str]]]


def _bin(script: str) -> str:
    return str(Path(sys.executable).parent / script)


PEERS = {
    "arq": Peer("arq", "arq", ARQ_APP,
                lambda app: [[_bin("arq"), f"{app}.WorkerSettings"]] * 2),
    "rq": Peer("rq", "rq", RQ_APP,
               lambda app: [[_bin("rq"), "worker", "bench", "--url",
                             os.environ["BENCH_REDIS"]]] * 2),
    # One consumer of 2 worker processes: huey's own way of running process workers.
    "huey_redis": Peer("huey_redis", "huey", HUEY_APP,
                       lambda app: [[_bin("huey_consumer"), f"{app}.huey", "-k", "process",
                                     "-w", "2", "-d", "0.01", "-m", "0.05"]]),
}


def _load_app(work: Path, peer: Peer) -> ModuleType:
    name = f"bench_{peer.name}_app_{work.name.replace('-', '_')}"
    path = work / f"{name}.py"
    path.write_text(peer.app)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def _workers(work: Path, peer: Peer, app: str) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {**os.environ, "PYTHONPATH": str(work)}
    with ExitStack() as stack:
        procs = []
        for i, argv in enumerate(peer.commands(app)):
            with open(work / f"worker-{i}.log", "ab") as out:
                proc = subprocess.Popen(argv, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                        stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True)
            stack.callback(stop_group, proc, signal.SIGINT, 10.0)
            procs.append(proc)
        yield procs


def _ends(log: Path) -> Counter[str]:
    if not log.exists():
        return Counter()
    return Counter(line[1:] for line in log.read_text().split("\n") if line.startswith("d"))


def _wait_for(check: Callable[[], bool], deadline: float, what: str, procs: list[
        subprocess.Popen[bytes]]) -> None:
    while not check():
        if any(p.poll() is not None for p in procs):
            raise BenchFailed(f"a worker exited early, waiting for {what}")
        if time.monotonic() > deadline:
            raise BenchFailed(f"timed out waiting for {what}")
        time.sleep(0.005)


@contextmanager
def _peer_session(tmp: Path, url: str, peer_name: str) -> Iterator[
        tuple[Path, ModuleType, list[subprocess.Popen[bytes]]]]:
    """A scratch directory with the peer's app, an empty server, and its workers warmed
    up by one task each."""
    peer = PEERS[peer_name]
    if importlib.util.find_spec(peer.dist) is None:
        raise PeerMissing(peer.dist)
    _flush(url)
    with workdir(tmp, f"{peer.name}-redis") as work:
        log = work / "tasks.log"
        os.environ["BENCH_REDIS"], os.environ["BENCH_LOG"] = url, str(log)
        app = _load_app(work, peer)
        with _workers(work, peer, app.__name__) as procs:
            deadline = time.monotonic() + TIMEOUT_S
            app.enqueue(range(-2, 0), 0)
            _wait_for(lambda: len(_ends(log)) >= 2, deadline, f"{peer.name} to start", procs)
            log.write_text("")
            yield log, app, procs


def e2e_tasks_per_s(tmp: Path, url: str, peer_name: str, n: int) -> float:
    """`n` no-op tasks from the first enqueue to the last end, workers warmed up."""
    with _peer_session(tmp, url, peer_name) as (log, app, procs):
        deadline = time.monotonic() + TIMEOUT_S
        start = time.perf_counter()
        app.enqueue(range(n), 0)
        _wait_for(lambda: len(_ends(log)) >= n, deadline,
                  f"{n} {peer_name} tasks", procs)
        return n / (time.perf_counter() - start)


def kill_mid_task(tmp: Path, url: str, peer_name: str, n: int) -> dict[str, float]:
    """`n` tasks of 0.5 s; SIGKILL the process running the first to start; give the
    survivors `AFTER_KILL_S`: how many tasks never ended, and how many ended twice."""
    with _peer_session(tmp, url, peer_name) as (log, app, procs):
        deadline = time.monotonic() + TIMEOUT_S
        app.enqueue(range(n), SLOW_S)
        _wait_for(lambda: "s" in log.read_text(), deadline, f"a {peer_name} task", procs)
        first = next(line for line in log.read_text().split("\n") if line.startswith("s"))
        os.kill(int(first.split()[1]), signal.SIGKILL)
        settle_by = time.monotonic() + AFTER_KILL_S
        while len(_ends(log)) < n and time.monotonic() < settle_by:
            time.sleep(0.05)
        ends = _ends(log)
    return {
        f"{peer_name}_lost_on_kill": float(sum(str(k) not in ends for k in range(n))),
        f"{peer_name}_twice_on_kill": float(sum(count > 1 for count in ends.values())),
    }


def _flush(url: str) -> None:
    from redis import Redis

    with Redis.from_url(url) as client:
        client.flushdb()


def main(url: str, n: int = 500) -> None:
    """Every peer once at a small size, one line each."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="swarm-bench-") as tmp:
        for name in PEERS:
            print(name, e2e_tasks_per_s(Path(tmp), url, name, n),
                  kill_mid_task(Path(tmp), url, name, 20))


if __name__ == "__main__":
    main(sys.argv[1])
