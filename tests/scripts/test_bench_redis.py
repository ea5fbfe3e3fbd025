"""`scripts/bench.py --backend redis` at a tiny size, on the redis-server it starts: every
key comes out, from real work. Figures are not checked against any speed; what a SIGKILL
costs swarm is (nothing lost, nothing twice)."""

from __future__ import annotations

import json

import bench
import bench_redis
import bench_redis_peers
import bench_workers
import pytest

from support.redis_server import skip_without_redis_server

pytestmark = pytest.mark.slow

TINY = bench_redis.RedisSizes(noop=20, claim=50, dispatch=5, kills=1, kill_tasks=3)


@pytest.fixture(autouse=True)
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    skip_without_redis_server()
    monkeypatch.setattr(bench_redis, "QUICK", TINY)
    # The peers never finish a task lost to the kill; waiting long for it proves nothing.
    monkeypatch.setattr(bench_redis_peers, "AFTER_KILL_S", 2.0)
    monkeypatch.setattr(bench_workers, "AFTER_KILL_S", 10.0)


def figures(capsys: pytest.CaptureFixture[str], *only: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for label in only:
        assert bench.main(["--backend", "redis", "--quick", "--json", "--only", label]) == 0
        found.update(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    return found


@pytest.mark.timeout(300)
def test_every_redis_key_comes_out_of_a_tiny_run(capsys: pytest.CaptureFixture[str]) -> None:
    found = figures(capsys, "e2e", "huey_redis SIGKILL", "swarm SIGKILL", "on redis")

    assert found["redis_noop_tasks_per_s"] > 0
    assert found["huey_redis_e2e_tasks_per_s"] > 0
    assert found["fastest_peer_e2e_tasks_per_s"] >= found["huey_redis_e2e_tasks_per_s"]
    for key in ("redis_claim_complete_per_s", "redis_dispatch_p50_ms", "redis_dispatch_p99_ms",
                "redis_recovery_p99_ms"):
        assert found[key] > 0, key
    assert {"huey_redis_lost_on_kill", "huey_redis_twice_on_kill"} <= set(found)
    assert (found["swarm_lost_on_kill"], found["swarm_twice_on_kill"]) == (0, 0)
