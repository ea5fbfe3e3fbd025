"""Wake-ups on the Redis store: a claim that finds nothing changes nothing, so it wakes
no waiter (else an idle worker's claim-then-wait loop would wake itself, and spin)."""

from __future__ import annotations

from taskqueue import NewTask, Store


async def test_a_claim_of_nothing_wakes_no_waiter(redis_store: Store) -> None:
    seen = redis_store.news_version
    assert await redis_store.claim("w1", ["researcher"], 4, lease_s=30.0) == []
    assert redis_store.news_version == seen
    assert not await redis_store.wait_for_news(0.05, seen)


async def test_a_claim_of_a_task_wakes_waiters(redis_store: Store) -> None:
    session = await redis_store.create_session("news", {})
    await redis_store.enqueue(session.id, NewTask(role="researcher"))
    seen = redis_store.news_version
    [_] = await redis_store.claim("w1", ["researcher"], 4, lease_s=30.0)
    assert redis_store.news_version > seen
