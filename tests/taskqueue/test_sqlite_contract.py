"""`SqliteStore` passes the storage contract."""

from __future__ import annotations

import pytest

from support.store_contract import StoreContract
from taskqueue import SqliteStore, Store


class TestSqliteStore(StoreContract):
    @pytest.fixture
    def store(self, sqlite_store: SqliteStore) -> Store:
        return sqlite_store
