"""A real store for the client's tests (the fake model server is in tests/skills/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from skills.llm import ModelEndpoint
from taskqueue import SqliteStore


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
