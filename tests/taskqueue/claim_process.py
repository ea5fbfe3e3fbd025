"""A consumer process for the multi-process claim tests (run as a script, not collected).

    python claim_process.py DB WORKER_ID OUT_JSON LEASE_S SLEEP_BATCHES SEED [GO_FILE]

With GO_FILE, it opens the store, writes OUT_JSON.ready, and waits for GO_FILE before its
first claim, so that consumers started one after the other claim side by side.

Claims batches of 1–8 tasks of role "r" and completes them (alone or grouped) until every
task of the database's only session is done, then writes what it claimed and how each
completion went to OUT_JSON. For its first SLEEP_BATCHES batches it sleeps past the lease
before completing, so that the lease may be taken back meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from pathlib import Path

from taskqueue import Completion, SqliteStore, TaskStatus


async def consume(path: str, worker: str, lease_s: float, sleep_batches: int,
                  rng: random.Random, ready: Path | None, go: Path | None,
                  ) -> dict[str, list[list[int]]]:
    claimed: list[list[int]] = []
    completed: list[list[int]] = []  # [task, attempt, 1 if it counted else 0]
    async with await SqliteStore.open(path, sender=worker) as store:
        if ready is not None and go is not None:
            ready.touch()
            while not go.exists():  # noqa: ASYNC110 - a file the test writes
                await asyncio.sleep(0.01)
        [session] = await store.list_sessions()
        batches = 0
        while True:
            tasks = await store.claim(worker, ["r"], rng.randint(1, 8), lease_s=lease_s)
            if not tasks:
                counts = await store.counts(session.id)
                if all(c.status is TaskStatus.DONE for c in counts):
                    break
                await asyncio.sleep(0.01)
                continue
            claimed += [[t.id, t.attempt] for t in tasks]
            batches += 1
            if batches <= sleep_batches:
                await asyncio.sleep(lease_s * 3)
            if rng.random() < 0.5:
                done = await store.complete_many(
                    [Completion(task_id=t.id, attempt=t.attempt, result=worker) for t in tasks])
            else:
                done = [await store.complete(t.id, t.attempt, worker) for t in tasks]
            completed += [[t.id, t.attempt, int(ok)] for t, ok in zip(tasks, done, strict=True)]
    return {"claimed": claimed, "completed": completed}


def main() -> None:
    path, worker, out, lease_s, sleep_batches, seed = sys.argv[1:7]
    go = Path(sys.argv[7]) if len(sys.argv) > 7 else None
    report = asyncio.run(consume(path, worker, float(lease_s), int(sleep_batches),
                                 random.Random(int(seed)), Path(f"{out}.ready"), go))
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(report, handle)


if __name__ == "__main__":
    main()
