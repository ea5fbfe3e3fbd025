"""A lost connection to Redis: retried with backoff and a warning line, then given up
as one `StoreError`; other failures are not retried. No server: the calls are fakes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from taskqueue import DiskFull, StoreError, backoff_s
from taskqueue.redis.reconnect import BASE_S, MAX_S, Reconnect

WHERE = "store redis://db.example:6379/0"


class FakeTime:
    """A monotonic clock that only sleeping moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def reconnect(time: FakeTime, limit_s: float = 30.0) -> Reconnect:
    return Reconnect(WHERE, limit_s=limit_s, rng=lambda: 1.0, sleep=time.sleep,
                     clock=time.clock)


def failing(times: int, exc: Exception) -> tuple[list[int], Callable[[], Awaitable[str]]]:
    calls: list[int] = []

    async def call() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise exc
        return "answer"

    return calls, call


async def test_a_lost_connection_is_retried_with_backoff_and_a_warning_per_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = FakeTime()
    calls, call = failing(3, RedisConnectionError("Connection reset by peer"))
    with caplog.at_level(logging.WARNING, "taskqueue.redis.reconnect"):
        assert await reconnect(time).call(call) == "answer"
    assert len(calls) == 4
    assert time.pauses == [backoff_s(n, BASE_S, MAX_S) for n in (1, 2, 3)]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 3
    assert all(WHERE in w and "connection lost" in w for w in warnings)
    assert "retry 3 in" in warnings[-1]
    assert not any(r.exc_info for r in caplog.records), "a warning, never a traceback"


async def test_a_server_gone_past_the_limit_is_one_store_error_naming_it() -> None:
    time = FakeTime()
    calls, call = failing(10_000, RedisConnectionError("Connection refused"))
    with pytest.raises(StoreError, match=r"store redis://db\.example:6379/0: unreachable for"):
        await reconnect(time, limit_s=10.0).call(call)
    assert time.now <= 10.0
    assert 1 < len(calls) < 30


async def test_without_a_limit_the_first_failure_is_the_error() -> None:
    calls, call = failing(1, RedisConnectionError("Connection refused"))
    with pytest.raises(StoreError, match=r"^store redis://db\.example:6379/0: Connection refused$"):
        await reconnect(FakeTime(), limit_s=0.0).call(call)
    assert len(calls) == 1


@pytest.mark.parametrize(("reply", "error"), [
    (ResponseError("OOM command not allowed"), DiskFull),
    (ResponseError("ERR wrong number of arguments"), StoreError),
])
async def test_an_error_reply_is_not_retried(reply: Exception, error: type[Exception]) -> None:
    calls, call = failing(1, reply)
    with pytest.raises(error):
        await reconnect(FakeTime()).call(call)
    assert len(calls) == 1
