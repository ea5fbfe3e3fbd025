"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from support.clock import FakeClock
from support.redis_server import running_redis_server, skip_without_redis_server
from taskqueue import RetryPolicy, SqliteStore, Store

# Property tests run on a shared, loaded machine: no deadline, and no failing for slow
# data generation. Loaded before any test module is imported, so that an explicit
# @settings(...) inherits what it does not set; --hypothesis-profile still overrides it.
settings.register_profile("swarm", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("swarm")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sqlite_store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(
        tmp_path / "swarm.db", clock=clock, retry=RetryPolicy(base_s=1.0, max_s=60.0),
        rng=lambda: 0.0,
    )
    yield store
    await store.close()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """One `redis-server` for the test run (skipped when none is installed)."""
    skip_without_redis_server()
    with running_redis_server() as url:
        yield url


@pytest.fixture
async def redis_store(redis_url: str, clock: FakeClock) -> AsyncIterator[Store]:
    """A `RedisStore` on an empty database, with the contract's clock, retry and jitter."""
    from taskqueue.redis import RedisStore

    store = await RedisStore.open(
        redis_url, clock=clock, retry=RetryPolicy(base_s=1.0, max_s=60.0), rng=lambda: 0.0)
    await store.flush()
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", "redis"])
def any_store(request: pytest.FixtureRequest) -> Store:
    """Each backend in turn."""
    store: Store = request.getfixturevalue(f"{request.param}_store")
    return store
