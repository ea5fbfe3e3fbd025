"""Following a session that has already ended shows every message it left, however many."""

from __future__ import annotations

import asyncio
from pathlib import Path

from orchestrator.follow import READ_BATCH, FollowEnd, Progress, follow
from taskqueue import Message, NewTask, SqliteStore, session_channel


class Recorder:
    def __init__(self) -> None:
        self.events: list[Message] = []

    def event(self, message: Message, progress: Progress) -> None:
        self.events.append(message)

    def snapshot(self, progress: Progress) -> None:
        pass


async def test_a_finished_session_with_more_messages_than_a_read_is_shown_whole(
    tmp_path: Path,
) -> None:
    store = await SqliteStore.open(tmp_path / "swarm.db")
    try:
        session = await store.create_session("a long session", {})
        await store.enqueue(session.id, NewTask(role="researcher"))
        for step in range(READ_BATCH + 100):
            await store.publish(session_channel(session.id), {"step": step}, kind="note")
        [task] = await store.claim("w1", ["researcher"], lease_s=60)
        await store.complete(task.id, task.attempt)
        everything = await store.read([session_channel(session.id)], after=0,
                                      limit=10 * READ_BATCH)

        recorder = Recorder()
        end, _ = await follow(store, session.id, recorder, stop=asyncio.Event(),
                              timeout_s=60)
    finally:
        await store.close()

    assert end is FollowEnd.FINISHED
    assert [m.id for m in recorder.events] == [m.id for m in everything]
