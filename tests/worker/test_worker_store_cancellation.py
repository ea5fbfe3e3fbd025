"""A worker cancels its heartbeat (and, past the grace period, its tasks) wherever they
are, often inside a store write. The store must come out of that usable, or the worker
cannot release its tasks on the way out."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from taskqueue import SqliteStore, WorkerBeat, WorkerInfo, WorkerStatus


async def test_write_cancelled_while_waiting_for_the_lock_leaves_the_store_usable(
    tmp_path: Path,
) -> None:
    store = await SqliteStore.open(tmp_path / "swarm.db", sender="test")
    try:
        await store.register_worker(WorkerInfo(id="w", role="r", pid=1))
        # Another process holds the write lock: the heartbeat's BEGIN IMMEDIATE waits.
        other = sqlite3.connect(tmp_path / "swarm.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        beat = asyncio.create_task(store.heartbeat("w", WorkerBeat(), lease_s=10))
        await asyncio.sleep(0.3)
        beat.cancel()
        other.execute("ROLLBACK")  # the heartbeat's BEGIN now goes through, after its cancel
        other.close()
        await asyncio.gather(beat, return_exceptions=True)

        await store.set_worker_status("w", WorkerStatus.STOPPED)

        [worker] = await store.list_workers(include_stopped=True)
        assert worker.status is WorkerStatus.STOPPED
    finally:
        await store.close()
