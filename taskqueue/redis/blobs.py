"""Content-addressed blobs on the Redis server: one string key per sha256.

The store's own client decodes every reply to text, which would mangle bytes that are
not UTF-8; blobs go through a second client that does not decode. (Base64 over the text
client would work too, at a third more memory on the server and on the wire.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import cast

import redis.asyncio as aioredis

from taskqueue.blobs import check_blobs
from taskqueue.redis.scripts import guarded

# Keys per round trip: a batch of big blobs is still one bounded reply.
_KEYS_PER_CALL = 500


class RedisBlobs:
    """Blobs under `<prefix>blob:<sha256>`, through a client that keeps bytes as bytes."""

    def __init__(self, client: aioredis.Redis, prefix: str, where: str) -> None:
        self._client = client
        self._p = prefix
        self._where = where

    @classmethod
    def connect(cls, url: str, password: str | None, prefix: str, where: str) -> RedisBlobs:
        """Blobs on the server at `url`, over a connection pool of their own (opened
        lazily, on the first call)."""
        client = aioredis.Redis.from_url(url, password=password, decode_responses=False)
        return cls(client, prefix, where)

    async def close(self) -> None:
        await self._client.aclose()

    async def missing(self, hashes: Sequence[str]) -> set[str]:
        wanted = list(dict.fromkeys(hashes))
        missing: set[str] = set()
        for batch in _batches(wanted):
            pipe = self._client.pipeline(transaction=False)
            for name in batch:
                pipe.exists(self._key(name))
            held = await guarded(self._where, pipe.execute)
            missing.update(name for name, found in zip(batch, held, strict=True) if not found)
        return missing

    async def put(self, blobs: Mapping[str, bytes]) -> int:
        check_blobs(blobs)
        if not blobs:
            return 0
        # MULTI/EXEC: all or none. SET NX leaves a content already held untouched.
        pipe = self._client.pipeline(transaction=True)
        for name, content in blobs.items():
            pipe.set(self._key(name), content, nx=True)
        written = await guarded(self._where, pipe.execute)
        return sum(1 for done in written if done)

    async def get(self, hashes: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for batch in _batches(list(dict.fromkeys(hashes))):
            contents = await guarded(self._where, partial(self._read, batch))
            found.update((name, content) for name, content in zip(batch, contents, strict=True)
                         if content is not None)
        return found

    async def _read(self, names: list[str]) -> list[bytes | None]:
        return cast(list[bytes | None], await self._client.mget(
            [self._key(name) for name in names]))

    def _key(self, name: str) -> str:
        return f"{self._p}blob:{name}"


def _batches(names: list[str]) -> list[list[str]]:
    return [names[i:i + _KEYS_PER_CALL] for i in range(0, len(names), _KEYS_PER_CALL)]
