"""Limits on calls to the model server, shared by every host, and usage per session.

A call holds a slot (a sorted set of holders by expiry) while it runs, and each call adds
a request to a sorted set by time (at most M in a minute); acquiring is one script. Usage
is counted per session and task with HINCRBY in one MULTI transaction.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from taskqueue.redis.reconnect import Reconnect
from taskqueue.redis.scripts import Scripts, text

# The window of the requests-per-minute limit.
RATE_WINDOW_S = 60.0
# How long a caller waits before asking again for a slot that others hold. Short: a
# release is not announced to the waiter; it asks again.
SLOT_POLL_S = 0.25


class LlmLimits:
    """Call slots and the request rate shared by every host, and usage per session."""

    def __init__(
        self, client: aioredis.Redis, scripts: Scripts, prefix: str, reconnect: Reconnect
    ) -> None:
        self._client = client
        self._scripts = scripts
        self._p = prefix
        self._reconnect = reconnect

    async def acquire(
        self, now: float, holder: str, max_concurrent: int | None, per_minute: int | None, *,
        lease_s: float, owner: str | None,
    ) -> float | None:
        verdict, *detail = await self._scripts.run(
            "llm_acquire", now, holder, _limit(max_concurrent), _limit(per_minute),
            text(now + lease_s), owner or "", text(now - RATE_WINDOW_S))
        if verdict == "ok":
            return None
        if verdict == "slots":
            # Expired slots were removed, so the first expiry is still ahead.
            return float(min(SLOT_POLL_S, float(detail[0]) - now))
        # The oldest request of the window leaves it first; then one more may be made.
        return float(max(float(detail[0]) + RATE_WINDOW_S - now, 0.001))

    async def release(self, holder: str) -> bool:
        async def remove() -> list[int]:
            # Built afresh on each try: a failed pipeline forgets its commands.
            pipe = self._client.pipeline(transaction=True)
            pipe.zrem(f"{self._p}llm:slots", holder)
            pipe.hdel(f"{self._p}llm:owners", holder)
            return list(await pipe.execute())

        removed, _ = await self._reconnect.call(remove)
        return bool(removed)

    async def record_usage(
        self, session_id: str, task_id: int | None, tokens_in: int, tokens_out: int,
        latency_s: float, ok: bool,
    ) -> None:
        async def add() -> None:
            # Built afresh on each try: a failed pipeline forgets its commands.
            pipe = self._client.pipeline(transaction=True)
            self._count(pipe, session_id, task_id, tokens_in, tokens_out, latency_s, ok)
            await pipe.execute()

        await self._reconnect.call(add)

    async def finish(
        self, holder: str | None, session_id: str, task_id: int | None, tokens_in: int,
        tokens_out: int, latency_s: float, ok: bool,
    ) -> bool:
        """Give the slot back and count the call, in one MULTI transaction."""
        async def release_and_add() -> list[Any]:
            pipe = self._client.pipeline(transaction=True)
            if holder is not None:
                pipe.zrem(f"{self._p}llm:slots", holder)
                pipe.hdel(f"{self._p}llm:owners", holder)
            self._count(pipe, session_id, task_id, tokens_in, tokens_out, latency_s, ok)
            return list(await pipe.execute())

        replies = await self._reconnect.call(release_and_add)
        return holder is not None and bool(replies[0])

    def _count(self, pipe: Pipeline, session_id: str, task_id: int | None, tokens_in: int,
               tokens_out: int, latency_s: float, ok: bool) -> None:
        # Latency in whole milliseconds: sums are exact whatever order hosts add them in.
        task = "" if task_id is None else str(task_id)
        key = f"{self._p}usage:{session_id}"
        for name, amount in (("calls", 1), ("failed", 0 if ok else 1),
                             ("tokens_in", max(0, tokens_in)),
                             ("tokens_out", max(0, tokens_out)),
                             ("latency_ms", max(0, round(latency_s * 1000)))):
            pipe.hincrby(key, f"{task}:{name}", amount)


def _limit(value: int | None) -> str:
    return "" if value is None else str(value)
