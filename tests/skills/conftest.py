"""What the skills' tests share: a started fake model server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.fake_llm import FakeModelServer, fake_model


@pytest.fixture
def server() -> Iterator[FakeModelServer]:
    with fake_model() as started:
        yield started
