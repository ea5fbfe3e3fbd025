"""`open_store` picks the backend from the URL, and names a URL it cannot use."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from taskqueue import SqliteStore, StoreError, StoreUrlError, open_store, printable_url


async def test_a_sqlite_url_opens_the_file_it_names(tmp_path: Path) -> None:
    store = await open_store(f"sqlite://{tmp_path / 'swarm.db'}")
    try:
        assert isinstance(store, SqliteStore)
        assert (tmp_path / "swarm.db").exists()
    finally:
        await store.close()


async def test_a_redis_url_opens_a_redis_store(redis_url: str) -> None:
    from taskqueue.redis import RedisStore

    store = await open_store(redis_url)
    try:
        assert isinstance(store, RedisStore)
        session = await store.create_session("over redis", {})
        assert (await store.get_session(session.id)).request == "over redis"
    finally:
        await store.close()


@pytest.mark.parametrize("url", ["postgres://db/swarm", "swarm.db", "sqlite://relative/x.db"])
async def test_a_url_of_no_known_backend_is_refused_by_name(url: str) -> None:
    with pytest.raises(StoreUrlError, match="store"):
        await open_store(url)


async def test_an_unreachable_redis_is_a_store_error_naming_it_without_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(StoreError, match=f"127.0.0.1:{port}") as refused:
        await open_store(f"redis://:secret@127.0.0.1:{port}/0")
    assert "secret" not in str(refused.value)


def test_printable_url_hides_the_password() -> None:
    assert printable_url("rediss://u:pw@host:6380/1") == "rediss://u:***@host:6380/1"
    assert printable_url("redis://host:6379/0") == "redis://host:6379/0"
