"""Calls spread over small connection pools: each call takes the least busy one."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx2

from skills.llm.lanes import LANE_SIZE, Lanes


def opened(sizes: list[int]) -> Lanes:
    def open_pool(size: int) -> httpx2.AsyncClient:
        sizes.append(size)
        return httpx2.AsyncClient(limits=httpx2.Limits(max_connections=size))

    return Lanes(open_pool, 2 * LANE_SIZE + 1)


async def test_the_connections_are_shared_out_over_pools_of_at_most_the_lane_size() -> None:
    sizes: list[int] = []
    lanes = opened(sizes)
    await lanes.aclose()

    assert len(sizes) == 3
    assert max(sizes) <= LANE_SIZE
    assert sum(sizes) >= 2 * LANE_SIZE + 1


async def test_each_call_takes_the_pool_with_the_fewest_calls_in_flight() -> None:
    lanes = opened([])
    async with AsyncExitStack() as calls:
        first = [await calls.enter_async_context(lanes.client()) for _ in range(3)]
        async with lanes.client() as fourth:
            pass
        assert len({id(pool) for pool in first}) == 3
        assert fourth is first[0]
    async with lanes.client() as after:
        assert after is first[0]
    await lanes.aclose()
