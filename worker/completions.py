"""Group commit for completions: tasks that finish together complete in one transaction.

While one `complete_many` is in flight, completions that arrive wait and go in the next
one, so a busy worker pays one transaction for many tasks and an idle one pays no delay.
"""

from __future__ import annotations

import asyncio
from typing import Any

from taskqueue import Completion, Store


class CompletionBatcher:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[tuple[Completion, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def complete(self, task_id: int, attempt: int, result: Any) -> bool:
        """Complete one attempt; True if it still held the task (see Store.complete)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((Completion(task_id=task_id, attempt=attempt, result=result),
                              future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                outcomes = await self._store.complete_many([c for c, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher
