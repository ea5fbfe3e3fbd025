"""Holding one of the workspace's call slots for the length of one request.

The slots and the per-minute window are rows in the workspace's database (see
`Store.llm_acquire`), so the limits hold across every worker process. Waiting does not
spin: a short wait sleeps until the database changes (a slot was given back) or the
wait is over; a long one (the per-minute window) just sleeps.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from skills.llm.config import LLMConfig
from taskqueue import Store

__all__ = ["CallSlots"]

# A slot outlives its request by this much, so it is never taken back while in use.
LEASE_MARGIN_S = 30.0
# Waits up to this long watch the database for a slot given back; longer ones sleep.
WATCH_UP_TO_S = 1.0


class CallSlots:
    """The shared limits as one process sees them; `owner` is its worker id."""

    def __init__(self, store: Store, config: LLMConfig, owner: str) -> None:
        self._store = store
        self._config = config
        self._owner = owner

    @property
    def limited(self) -> bool:
        return (self._config.max_concurrent is not None
                or self._config.requests_per_minute is not None)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a slot, hold it inside the block, and give it back however it ends."""
        if not self.limited:
            yield
            return
        holder = f"{self._owner}:{secrets.token_hex(6)}"
        await self._acquire(holder)
        try:
            yield
        finally:
            # Shielded: a task cancelled mid-request still gives its slot back.
            await asyncio.shield(self._store.llm_release(holder))

    async def _acquire(self, holder: str) -> None:
        lease_s = self._config.max_call_s + LEASE_MARGIN_S
        while True:
            seen = self._store.news_version
            wait = await self._store.llm_acquire(
                holder, self._config.max_concurrent, self._config.requests_per_minute,
                lease_s=lease_s, owner=self._owner)
            if wait is None:
                return
            if wait <= WATCH_UP_TO_S:
                await self._store.wait_for_news(wait, seen)
            else:
                await asyncio.sleep(wait)
