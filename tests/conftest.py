"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from support.clock import FakeClock
from taskqueue import RetryPolicy, SqliteStore

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
