"""Riding out a lost connection to Redis: every call retried with backoff, then given up.

A server restarting (from its append-only file) or a network blip costs the client its
connection. Each store call that meets that is retried after `backoff_s`, with a warning
line naming the server, until the server answers or `limit_s` has passed since the first
failure; then it raises one `StoreError`. Other failures are not retried.

A write whose reply was lost may have run on the server: it runs again. The scripts make
that harmless (a completion or failure of an attempt already settled is refused as stale;
a repeated claim's first tasks return to the queue when their lease expires).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from taskqueue.errors import DiskFull, StoreError
from taskqueue.retry import backoff_s

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Long enough for a server to restart and load its file; short enough that a process
# whose server is gone for good says so within a minute.
DEFAULT_LIMIT_S = 30.0
BASE_S = 0.05
MAX_S = 2.0


@dataclass(frozen=True)
class Reconnect:
    """How calls to the server named `where` meet a lost connection."""

    where: str
    limit_s: float = DEFAULT_LIMIT_S
    rng: Callable[[], float] = random.random
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    clock: Callable[[], float] = time.monotonic

    async def call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run `call` (which must build its request afresh each time: it may run again),
        turning the client's failures into the store's errors."""
        failures = 0
        first_failure = 0.0
        while True:
            try:
                return await call()
            except (RedisConnectionError, RedisTimeoutError) as exc:
                failures += 1
                now = self.clock()
                first_failure = now if failures == 1 else first_failure
                pause = backoff_s(failures, BASE_S, MAX_S, self.rng())
                if now + pause - first_failure > self.limit_s:
                    raise self._given_up(exc, failures, now - first_failure) from exc
                logger.warning("%s: connection lost (%s); retry %d in %.2f s",
                               self.where, _reason(exc), failures, pause)
                await self.sleep(pause)
            except ResponseError as exc:
                if str(exc).startswith("OOM"):
                    raise DiskFull(f"{self.where}: Redis is out of memory ({exc})") from exc
                raise StoreError(f"{self.where}: {exc}") from exc
            except RedisError as exc:
                raise StoreError(f"{self.where}: {exc}") from exc

    def _given_up(self, exc: BaseException, failures: int, waited_s: float) -> StoreError:
        if failures == 1:
            return StoreError(f"{self.where}: {_reason(exc)}")
        return StoreError(f"{self.where}: unreachable for {waited_s:.1f} s ({failures} tries), "
                          f"giving up: {_reason(exc)}")


async def guarded(where: str, call: Callable[[], Awaitable[T]]) -> T:
    """Run a Redis call once, without retrying, turning failures into the store's errors:
    for opening, where an unreachable URL is the user's mistake to hear about at once."""
    return await Reconnect(where, limit_s=0.0).call(call)


def _reason(exc: BaseException) -> str:
    # redis-py's messages can run over several lines; a warning is one.
    return " ".join(str(exc).split()) or type(exc).__name__
