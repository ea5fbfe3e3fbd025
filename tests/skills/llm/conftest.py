"""A real store and a started fake model server for the client's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from skills.llm import ModelEndpoint
from support.fake_llm import FakeModelServer, fake_model
from taskqueue import SqliteStore


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with fake_model() as started:
        yield started


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "swarm.db", sender="test")
    yield opened
    await opened.close()


@pytest.fixture
async def endpoints(store: SqliteStore) -> AsyncIterator[list[ModelEndpoint]]:
    """Endpoints a test opens (`make_endpoint`) are closed at its end."""
    opened: list[ModelEndpoint] = []
    yield opened
    for endpoint in opened:
        await endpoint.close()
