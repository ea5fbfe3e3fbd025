"""A store that counts the blobs put in it and read from it: how a test sees what a
corpus snapshot uploads and downloads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from taskqueue import Store


class CountingStore:
    """`store`, with the names of the blobs put (`put`) and read (`got`) noted."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.put: list[str] = []
        self.got: list[str] = []

    async def put_blobs(self, blobs: Mapping[str, bytes]) -> int:
        self.put.extend(blobs)
        return await self._store.put_blobs(blobs)

    async def get_blobs(self, hashes: Sequence[str]) -> dict[str, bytes]:
        self.got.extend(hashes)
        return await self._store.get_blobs(hashes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
