"""`RedisStore` passes the storage contract, on a real `redis-server`."""

from __future__ import annotations

import pytest

from support.store_contract import StoreContract
from taskqueue import Store


class TestRedisStore(StoreContract):
    @pytest.fixture
    def store(self, redis_store: Store) -> Store:
        return redis_store
