"""Readers follow the bus by offset: a restarted reader misses nothing and repeats nothing."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import taskqueue
from support.clock import FakeClock
from taskqueue import SqliteStore

REPO = Path(taskqueue.__file__).resolve().parents[1]
CHANNELS = ("x", "y", "z")

PUBLISHER = """
import asyncio, json, sys
from taskqueue import SqliteStore

async def main(path: str, out: str, count: int) -> None:
    ids = []
    async with await SqliteStore.open(path, sender="publisher-process") as store:
        for n in range(count):
            channel = "watched" if n % 3 else "ignored"
            message_id = await store.publish(channel, {"n": n}, sender="publisher-process",
                                             kind="note")
            if channel == "watched":
                ids.append(message_id)
            await asyncio.sleep(0.002)
    with open(out, "w") as handle:
        json.dump(ids, handle)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def publish_from_coroutine(path: Path, count: int) -> list[int]:
    ids = []
    async with await SqliteStore.open(path, sender="publisher-coroutine") as store:
        for n in range(count):
            ids.append(await store.publish("watched", {"n": n}, sender="publisher-coroutine",
                                           kind="note"))
            await asyncio.sleep(0.003)
    return ids


async def read_with_restarts(
    path: Path, offset_file: Path, publishers: asyncio.Future[Any]
) -> tuple[list[int], int]:
    """Read a few pages, save the offset, close the store, start again from the file.

    Returns the ids seen and how many restarts happened while the publishers ran.
    """
    seen: list[int] = []
    restarts = 0
    while True:
        offset = json.loads(offset_file.read_text()) if offset_file.exists() else 0
        async with await SqliteStore.open(path, sender="reader") as store:
            finished = publishers.done()
            for _ in range(3):
                page = await store.read(["watched"], after=offset, limit=7)
                seen += [m.id for m in page]
                offset = page[-1].id if page else offset
            offset_file.write_text(json.dumps(offset))
            caught_up = not await store.read(["watched"], after=offset, limit=1)
        if finished and caught_up:
            return seen, restarts
        restarts += not finished
        await asyncio.sleep(0.01)


async def test_reader_restarting_from_its_saved_offset_misses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "swarm.db"
    async with await SqliteStore.open(path):
        pass  # created and migrated before the publishers start
    ids_file = tmp_path / "published.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PUBLISHER, str(path), str(ids_file), "300", env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    in_process = asyncio.ensure_future(publish_from_coroutine(path, 150))
    publishers = asyncio.gather(in_process, process.communicate())

    seen, restarts = await asyncio.wait_for(
        read_with_restarts(path, tmp_path / "offset.json", publishers), 60)

    _ids, (_out, err) = await publishers
    assert process.returncode == 0, err.decode()
    published = sorted(json.loads(ids_file.read_text()) + in_process.result())
    assert len(published) == 350
    assert seen == published
    assert restarts >= 2, "the reader should have restarted while messages kept coming"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    channels=st.lists(st.sampled_from(CHANNELS), max_size=30),
    wanted=st.sets(st.sampled_from(CHANNELS), min_size=1),
    after=st.integers(-1, 35),
    limit=st.integers(1, 12),
)
def test_read_pages_match_a_list_model(
    channels: list[str], wanted: set[str], after: int, limit: int
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="swarm-bus-"))
    try:
        asyncio.run(check_paging(folder / "swarm.db", channels, sorted(wanted), after, limit))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def check_paging(path: Path, channels: list[str], wanted: list[str], after: int,
                       limit: int) -> None:
    async with await SqliteStore.open(path, clock=FakeClock()) as store:
        log = [(await store.publish(c, {"i": i}, sender="t", kind="note"), c)
               for i, c in enumerate(channels)]
        model = [message_id for message_id, c in log if c in wanted]

        page = await store.read(wanted, after=after, limit=limit)
        assert [m.id for m in page] == [i for i in model if i > after][:limit]
        assert all(m.channel in wanted for m in page)

        paged: list[int] = []
        offset = after
        while page := await store.read(wanted, after=offset, limit=limit):
            assert len(page) <= limit
            paged += [m.id for m in page]
            offset = page[-1].id
        assert paged == [i for i in model if i > after]
