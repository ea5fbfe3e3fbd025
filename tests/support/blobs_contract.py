"""The storage contract's part on content-addressed blobs (a corpus snapshot's files, for
hosts that share only the store): `StoreContract` includes it, so every backend passes it."""

from __future__ import annotations

import hashlib

import pytest

from taskqueue import InvalidBlob, Store, SwarmError

# Bytes that are not UTF-8 text: a backend that decodes its replies would mangle them.
BINARY = bytes(range(256)) * 3


def named(content: bytes) -> dict[str, bytes]:
    return {hashlib.sha256(content).hexdigest(): content}


class BlobsContract:
    async def test_put_blobs_are_read_back_byte_for_byte(self, store: Store) -> None:
        blobs = {**named(b"# a\n"), **named("ä ✓\n".encode()), **named(BINARY), **named(b"")}

        new = await store.put_blobs(blobs)

        assert new == 4
        assert await store.get_blobs(list(blobs)) == blobs

    async def test_missing_blobs_are_those_not_put(self, store: Store) -> None:
        [held] = named(b"held")
        [absent] = named(b"absent")
        await store.put_blobs(named(b"held"))

        assert await store.missing_blobs([held, absent, absent]) == {absent}
        assert await store.missing_blobs([]) == set()
        assert await store.missing_blobs(["not-a-hash"]) == {"not-a-hash"}

    async def test_putting_a_blob_again_writes_nothing_new(self, store: Store) -> None:
        await store.put_blobs(named(b"one"))

        again = await store.put_blobs({**named(b"one"), **named(b"two")})

        assert again == 1
        assert await store.put_blobs({}) == 0

    async def test_a_content_under_another_hash_is_refused_and_nothing_kept(
        self, store: Store,
    ) -> None:
        good = named(b"good")
        [wrong_name] = named(b"something else")

        with pytest.raises(InvalidBlob):
            await store.put_blobs({**good, wrong_name: b"not that"})

        assert issubclass(InvalidBlob, SwarmError)
        assert await store.missing_blobs([*good, wrong_name]) == {*good, wrong_name}

    async def test_blobs_not_held_are_left_out_of_a_read(self, store: Store) -> None:
        blobs = named(b"kept")
        await store.put_blobs(blobs)
        [absent] = named(b"absent")

        assert await store.get_blobs([*blobs, absent, "not-a-hash"]) == blobs
        assert await store.get_blobs([]) == {}

    async def test_many_blobs_go_in_and_out_in_one_call(self, store: Store) -> None:
        blobs: dict[str, bytes] = {}
        for n in range(1200):
            blobs.update(named(f"file {n}\n".encode()))

        assert await store.put_blobs(blobs) == 1200
        assert await store.missing_blobs([*blobs, *named(b"x")]) == set(named(b"x"))
        assert await store.get_blobs(list(blobs)) == blobs
