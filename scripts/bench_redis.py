"""`scripts/bench.py --backend redis`: swarm on Redis beside arq, rq and huey's RedisHuey,
all in one run on one `redis-server` this module starts (append-only file, fsync every
second, in a scratch folder) and stops.

Every measurement starts from an empty database. Keys: docs/benchmarks.md, "Redis".
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import bench_queue
import bench_redis_peers
import bench_workers
from _bench_util import BenchFailed, workdir

Figures = dict[str, float]
# The settings docs/design.md asks for ("The Redis settings swarm needs"), with the
# cheaper fsync: every peer meets the same server.
SERVER_SETTINGS = ("--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
START_TIMEOUT_S = 30.0
PEERS = tuple(bench_redis_peers.PEERS)


@dataclass(frozen=True)
class RedisSizes:
    noop: int
    claim: int
    dispatch: int
    kills: int
    # Tasks of 0.5 s in flight when a worker is SIGKILLed (each peer, and swarm).
    kill_tasks: int


# 2,000 no-op tasks, not the SQLite suite's 5,000: rq forks a process per task (about 50
# a second here), and every peer does the same work.
FULL = RedisSizes(noop=2_000, claim=20_000, dispatch=200, kills=20, kill_tasks=20)
QUICK = RedisSizes(noop=300, claim=1_000, dispatch=30, kills=2, kill_tasks=6)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A fresh `redis-server` on a free port; yields its URL. BenchFailed without one."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchFailed("redis-server is not installed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="swarm-bench-redis-"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
         *SERVER_SETTINGS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_server(url, process)
        yield url
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_server(url: str, process: subprocess.Popen[bytes]) -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    deadline = time.monotonic() + START_TIMEOUT_S
    with Redis.from_url(url) as client:
        while True:
            try:
                client.ping()
                return
            except RedisConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BenchFailed("redis-server did not start") from None
                time.sleep(0.02)


def flush(url: str) -> None:
    from redis import Redis

    with Redis.from_url(url) as client:
        client.flushdb()


def _fresh(url: str, measure: Callable[[Path], Figures]) -> Callable[[Path], Figures]:
    def measured(tmp: Path) -> Figures:
        flush(url)
        return measure(tmp)

    return measured


async def _claim_complete(url: str, n: int) -> float:
    store, session_id = await bench_queue._open_with_session(Path(), "bench", url)
    try:
        await bench_queue._fill(store, session_id, n)
        start = time.perf_counter()
        done = await bench_queue._claim_and_complete(store, "w0", 32)
        elapsed = time.perf_counter() - start
        if len(done) != n or await bench_queue._done_count(store) != n:
            raise BenchFailed(f"completed {len(done)} of {n}")
    finally:
        await store.close()
    return n / elapsed


def _swarm_kill(tmp: Path, url: str, n: int) -> Figures:
    with workdir(tmp, "swarm-kill") as home:
        lost, twice = asyncio.run(bench_workers.lost_and_twice_on_kill(home, n, url))
    return {"swarm_lost_on_kill": float(lost), "swarm_twice_on_kill": float(twice)}


def measurements(url: str, sizes: RedisSizes) -> list[tuple[str, Callable[[Path], Figures]]]:
    """One round, in order: swarm's end-to-end figure beside the peers', then the rest."""
    e2e = [(f"{peer} e2e", _fresh(url, lambda t, p=peer: {
        f"{p}_e2e_tasks_per_s": bench_redis_peers.e2e_tasks_per_s(t, url, p, sizes.noop)}))
        for peer in PEERS]
    kills = [(f"{peer} SIGKILL mid-task", _fresh(
        url, lambda t, p=peer: bench_redis_peers.kill_mid_task(t, url, p, sizes.kill_tasks)))
        for peer in PEERS]
    return [
        *e2e,
        ("swarm e2e on redis", _fresh(url, lambda t: {
            "redis_noop_tasks_per_s": bench_workers.noop_tasks_per_s(t, sizes.noop, 2, url)})),
        *kills,
        ("swarm SIGKILL mid-task", _fresh(url, lambda t: _swarm_kill(t, url, sizes.kill_tasks))),
        ("claim+complete on redis", _fresh(url, lambda _t: {
            "redis_claim_complete_per_s": asyncio.run(_claim_complete(url, sizes.claim))})),
        ("dispatch on redis", _fresh(url, lambda t: {
            f"redis_{k}": v for k, v in bench_queue.dispatch(t, sizes.dispatch, url=url).items()
        })),
        ("recovery on redis", _fresh(url, lambda t: {
            f"redis_{k}": v for k, v in bench_workers.recovery_served(t, url, sizes.kills).items()
        })),
    ]


def derive(figures: Figures) -> None:
    """The fastest peer of a round, the reference of swarm's end-to-end figure."""
    peers = [figures[f"{p}_e2e_tasks_per_s"] for p in PEERS
             if f"{p}_e2e_tasks_per_s" in figures]
    if peers:
        figures["fastest_peer_e2e_tasks_per_s"] = max(peers)
