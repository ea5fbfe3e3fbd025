"""Connections to the model server, spread over several small httpx pools.

httpx's pool walks every one of its connections on each request and on each release
(asking each idle socket whether it was closed), so a call's cost grows with the pool:
with 64 calls at once, that walk was a third of a worker's busy time. Several pools of
`LANE_SIZE` connections keep the walk short; each call takes the pool with the fewest
calls in flight. (httpx2's pull request 1169 makes the walk incremental; until a release
has it, the pools stay small.)
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx2

__all__ = ["LANE_SIZE", "Lanes"]

# Connections per pool: small enough that a walk is cheap, large enough that a worker
# with a few calls at once opens one pool.
LANE_SIZE = 16


class Lanes:
    """`connections` connections to one server, in pools made by `open_pool(size)`."""

    def __init__(self, open_pool: Callable[[int], httpx2.AsyncClient],
                 connections: int) -> None:
        count = max(1, math.ceil(connections / LANE_SIZE))
        size = math.ceil(connections / count)
        self._pools = [open_pool(size) for _ in range(count)]
        self._in_flight = [0] * count

    @asynccontextmanager
    async def client(self) -> AsyncIterator[httpx2.AsyncClient]:
        """The least busy pool, counted busy until the block ends."""
        lane = min(range(len(self._pools)), key=self._in_flight.__getitem__)
        self._in_flight[lane] += 1
        try:
            yield self._pools[lane]
        finally:
            self._in_flight[lane] -= 1

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()
