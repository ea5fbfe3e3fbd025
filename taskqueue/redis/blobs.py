"""Content-addressed blobs on the Redis server: one string key per sha256.

The store's own client decodes every reply to text, which would mangle bytes that are
not UTF-8; blobs go through a second client that does not decode. (Base64 over the text
client would work too, at a third more memory on the server and on the wire.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any, cast

import redis.asyncio as aioredis

from taskqueue.blobs import check_blobs
from taskqueue.redis.reconnect import Reconnect

# Keys per round trip: a batch of big blobs is still one bounded reply.
_KEYS_PER_CALL = 500


class RedisBlobs:
    """Blobs under `<prefix>blob:<sha256>`, through a client that keeps bytes as bytes."""

    def __init__(self, client: aioredis.Redis, prefix: str, reconnect: Reconnect) -> None:
        self._client = client
        self._p = prefix
        self._reconnect = reconnect

    @classmethod
    def connect(cls, url: str, password: str | None, prefix: str,
                reconnect: Reconnect) -> RedisBlobs:
        """Blobs on the server at `url`, over a connection pool of their own (opened
        lazily, on the first call); a lost connection is retried as the store's are."""
        client = aioredis.Redis.from_url(url, password=password, decode_responses=False)
        return cls(client, prefix, reconnect)

    async def close(self) -> None:
        await self._client.aclose()

    async def missing(self, hashes: Sequence[str]) -> set[str]:
        wanted = list(dict.fromkeys(hashes))
        missing: set[str] = set()
        for batch in _batches(wanted):
            held = await self._reconnect.call(partial(self._exists, batch))
            missing.update(name for name, found in zip(batch, held, strict=True) if not found)
        return missing

    async def put(self, blobs: Mapping[str, bytes]) -> int:
        check_blobs(blobs)
        if not blobs:
            return 0
        written = await self._reconnect.call(lambda: self._set_new(blobs))
        return sum(1 for done in written if done)

    async def get(self, hashes: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for batch in _batches(list(dict.fromkeys(hashes))):
            contents = await self._reconnect.call(partial(self._read, batch))
            found.update((name, content) for name, content in zip(batch, contents, strict=True)
                         if content is not None)
        return found

    # Each request is built afresh: a retried pipeline would have forgotten its commands.

    async def _exists(self, names: list[str]) -> list[Any]:
        pipe = self._client.pipeline(transaction=False)
        for name in names:
            pipe.exists(self._key(name))
        return await pipe.execute()

    async def _set_new(self, blobs: Mapping[str, bytes]) -> list[Any]:
        # MULTI/EXEC: all or none. SET NX leaves a content already held untouched.
        pipe = self._client.pipeline(transaction=True)
        for name, content in blobs.items():
            pipe.set(self._key(name), content, nx=True)
        return await pipe.execute()

    async def _read(self, names: list[str]) -> list[bytes | None]:
        return cast(list[bytes | None], await self._client.mget(
            [self._key(name) for name in names]))

    def _key(self, name: str) -> str:
        return f"{self._p}blob:{name}"


def _batches(names: list[str]) -> list[list[str]]:
    return [names[i:i + _KEYS_PER_CALL] for i in range(0, len(names), _KEYS_PER_CALL)]
