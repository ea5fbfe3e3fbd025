"""The chaos tests run on each backend: the workspace's SQLite file, and a fresh
`redis-server` of their own (skipped only when none is installed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.redis_server import running_redis_server, skip_without_redis_server


@pytest.fixture(params=["sqlite", "redis"])
def backend_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The store URL to give `--store`; None for SQLite, the workspace's default."""
    if request.param == "sqlite":
        yield None
        return
    skip_without_redis_server()
    with running_redis_server() as url:
        yield url
