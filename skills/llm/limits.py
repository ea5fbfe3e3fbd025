"""Holding one of the workspace's call slots for the length of one request.

The slots and the per-minute window are rows in the workspace's database (see
`Store.llm_acquire`), so the limits hold across every worker process. Waiting does not
spin: a short wait sleeps until the database changes (a slot was given back) or the
wait is over; a long one (the per-minute window) just sleeps. A request that ends the
call gives its slot back and counts the call's usage in one write (`Store.llm_finish`).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from skills.llm.config import LLMConfig
from taskqueue import Store

__all__ = ["CallSlots", "CallUsage", "HeldSlot"]

# A slot outlives its request by this much, so it is never taken back while in use.
LEASE_MARGIN_S = 30.0
# Waits up to this long watch the database for a slot given back; longer ones sleep.
WATCH_UP_TO_S = 1.0


@dataclass(frozen=True)
class CallUsage:
    """One call to the model server, as a session's usage counts it."""

    session_id: str
    task_id: int | None
    tokens_in: int
    tokens_out: int
    latency_s: float
    ok: bool


@dataclass
class HeldSlot:
    """A request's hold on a slot (`holder` None when there are no limits); the request
    that ends the call sets `usage`, counted as the slot is given back."""

    holder: str | None
    usage: CallUsage | None = None


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
    async def slot(self) -> AsyncIterator[HeldSlot]:
        """Wait for a slot, hold it inside the block, and give it back however it ends,
        with the `usage` the block set, in one write."""
        held = HeldSlot(f"{self._owner}:{secrets.token_hex(6)}" if self.limited else None)
        if held.holder is not None:
            await self._acquire(held.holder)
        try:
            yield held
        finally:
            # Shielded: a task cancelled mid-request still gives its slot back.
            await asyncio.shield(self._give_back(held))

    async def _give_back(self, held: HeldSlot) -> None:
        usage = held.usage
        if usage is not None:
            await self._store.llm_finish(held.holder, usage.session_id, usage.task_id,
                                         usage.tokens_in, usage.tokens_out, usage.latency_s,
                                         usage.ok)
        elif held.holder is not None:
            await self._store.llm_release(held.holder)

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
