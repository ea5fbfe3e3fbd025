"""Waking waiters when the store changes, on any host, without polling.

Every write script appends an entry to the news stream. One listener task per store
blocks on it (XREAD BLOCK) from the last entry it saw, so a change made by another host
while nobody waited is still seen by the next waiter. This process's own writes wake
waiters directly, without the round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from taskqueue.retry import backoff_s

logger = logging.getLogger(__name__)

# How long one blocking read lasts before the listener asks again (it wakes at once on
# an entry). Under the client's socket timeout (5 s), which would else cut every read.
LISTEN_BLOCK_MS = 2_000
# After failed reads in a row, the pause before the next (`backoff_s`): the server may
# be restarting.
RETRY_BASE_S = 0.05
RETRY_MAX_S = 2.0


class StreamNews:
    """A version counter bumped on every change, and waiting for it to move."""

    def __init__(self, client: aioredis.Redis, key: str, cursor: str) -> None:
        self._client = client
        self._key = key
        self._cursor = cursor
        self._version = 0
        self._changed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def start(cls, client: aioredis.Redis, key: str) -> StreamNews:
        """News from the stream's current end on."""
        last = cast(list[Any], await client.xrevrange(key, count=1))
        return cls(client, key, str(last[0][0]) if last else "0-0")

    @property
    def version(self) -> int:
        return self._version

    def notify(self) -> None:
        """Something changed: wake every waiter."""
        self._version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, max_wait_s: float, after_version: int | None = None) -> bool:
        """Wait until the version passes `after_version` (default: now) or `max_wait_s`."""
        if self._listener is None and not self._closed:
            self._listener = asyncio.get_running_loop().create_task(
                self._listen(), name=f"news-listener:{self._key}")
        if after_version is not None and self._version > after_version:
            return True
        try:
            await asyncio.wait_for(self._changed.wait(), max_wait_s)
        except TimeoutError:
            return False
        return True

    async def _listen(self) -> None:
        failures = 0
        while not self._closed:
            try:
                reply = await self._client.xread(
                    {self._key: self._cursor}, count=1000, block=LISTEN_BLOCK_MS)
            except RedisError as exc:
                # The client reports a cancelled read as a timeout: closing ends here.
                if self._closed:
                    return
                # Waiters still wake on their own timeout; the store keeps working.
                failures += 1
                pause = backoff_s(failures, RETRY_BASE_S, RETRY_MAX_S)
                logger.warning("reading %s for changes failed (%s); retry %d in %.2f s",
                               self._key, " ".join(str(exc).split()), failures, pause)
                await asyncio.sleep(pause)
                continue
            if failures:
                # Changes made while the connection was down are in the stream: wake
                # waiters so that they look.
                failures = 0
                self.notify()
            # [[stream, [[entry id, fields], ...]]]: the last entry read is the new cursor.
            entries = cast(list[Any], reply)
            if entries:
                self._cursor = str(entries[0][1][-1][0])
                self.notify()

    async def close(self) -> None:
        self._closed = True
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
