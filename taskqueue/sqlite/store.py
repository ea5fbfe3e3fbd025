"""`SqliteStore`: the storage protocol on one SQLite file (WAL), on a thread of its own.

The store is made of parts that share one database (`StoreDatabase`): `Sessions`, `Tasks`,
`Leases`, `Workers`, `Bus` and `LlmLimits`, each owning its SQL. Every `Store` method
hands over to one of them; the contracts are documented on `taskqueue.store.Store`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from taskqueue.messages import Body, Message
from taskqueue.models import (
    BoardFileCopy,
    Completion,
    NewTask,
    Session,
    SessionStatus,
    SessionUsage,
    StatusCount,
    Task,
    TaskStatus,
    WorkerBeat,
    WorkerInfo,
    WorkerStatus,
)
from taskqueue.retry import RetryPolicy
from taskqueue.sqlite.blobs import Blobs
from taskqueue.sqlite.board_files import BoardFiles
from taskqueue.sqlite.bus import Bus
from taskqueue.sqlite.codec import encode_message
from taskqueue.sqlite.connection import Database
from taskqueue.sqlite.leases import Leases
from taskqueue.sqlite.llm_limits import LlmLimits
from taskqueue.sqlite.news import News
from taskqueue.sqlite.outbox import Clock, StoreDatabase
from taskqueue.sqlite.sessions import Sessions
from taskqueue.sqlite.tasks import Tasks
from taskqueue.sqlite.workers import Workers


class SqliteStore:
    """The queue and the bus in one SQLite database.

    `clock` (wall time, shared by every process) and `rng` (backoff jitter) are parameters
    so tests can fake them. `sender` names this process on the bus.
    """

    def __init__(
        self, db: Database, *, sender: str, clock: Clock, retry: RetryPolicy,
        rng: Callable[[], float],
    ) -> None:
        shared = StoreDatabase(db, clock=clock, sender=sender)
        self._db = db
        self._sessions = Sessions(shared)
        self._tasks = Tasks(shared, retry=retry, rng=rng)
        self._leases = Leases(shared)
        self._workers = Workers(shared)
        self._bus = Bus(shared)
        self._llm = LlmLimits(shared)
        self._board_files = BoardFiles(shared)
        self._blobs = Blobs(shared)
        self._news = News(db.path)
        db.after_commit = self._news.notify

    @classmethod
    async def open(
        cls, path: Path | str, *, sender: str = "swarm", clock: Clock = time.time,
        retry: RetryPolicy | None = None, rng: Callable[[], float] = random.random,
        read_only: bool = False,
    ) -> SqliteStore:
        """Open the store at `path`; `read_only` for a database this process cannot write
        (reads work, a write is a StoreError)."""
        db = await Database.open(Path(path), read_only=read_only)
        return cls(db, sender=sender, clock=clock, retry=retry or RetryPolicy(), rng=rng)

    @property
    def path(self) -> Path:
        return self._db.path

    async def __aenter__(self) -> SqliteStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._news.close()
        await self._db.close()

    # sessions

    async def create_session(self, request: str, options: dict[str, Any]) -> Session:
        return await self._sessions.create(request, options)

    async def get_session(self, session_id: str) -> Session:
        return await self._sessions.get(session_id)

    async def find_session(self, prefix: str) -> Session:
        return await self._sessions.find(prefix)

    async def list_sessions(self) -> list[Session]:
        return await self._sessions.list_all()

    async def update_session_options(self, session_id: str, options: dict[str, Any]) -> None:
        await self._sessions.update_options(session_id, options)

    async def finish_session(self, session_id: str, status: SessionStatus) -> bool:
        return await self._sessions.finish(session_id, status)

    async def cancel_session(self, session_id: str, reason: str) -> int:
        return await self._sessions.cancel(session_id, reason)

    # tasks

    async def enqueue(self, session_id: str, task: NewTask) -> int:
        return (await self._tasks.enqueue_plan(session_id, [task]))[0]

    async def enqueue_plan(self, session_id: str, tasks: Sequence[NewTask]) -> list[int]:
        return await self._tasks.enqueue_plan(session_id, tasks)

    async def claim(
        self, worker_id: str, roles: Sequence[str], limit: int = 1, *, lease_s: float,
        session_id: str | None = None,
    ) -> list[Task]:
        return await self._leases.claim(
            worker_id, roles, limit, lease_s=lease_s, session_id=session_id)

    async def complete(self, task_id: int, attempt: int, result: Any = None) -> bool:
        completion = Completion(task_id=task_id, attempt=attempt, result=result)
        return (await self._tasks.complete_many([completion]))[0]

    async def complete_many(self, completions: Sequence[Completion]) -> list[bool]:
        return await self._tasks.complete_many(completions)

    async def fail(
        self, task_id: int, attempt: int, error: str, *, retry: bool = True,
        retry_in: float | None = None,
    ) -> TaskStatus | None:
        return await self._tasks.fail(task_id, attempt, error, retry=retry, retry_in=retry_in)

    async def save_checkpoint(self, task_id: int, attempt: int, state: Any) -> bool:
        return await self._tasks.save_checkpoint(task_id, attempt, state)

    async def report_progress(
        self, task_id: int, attempt: int, fraction: float, note: str = "", *,
        publish: Body | dict[str, Any] | None = None, kind: str | None = None,
    ) -> bool:
        also = None if publish is None else encode_message("", publish, kind)
        return await self._tasks.report_progress(task_id, attempt, fraction, note, also)

    async def requeue_expired(self) -> list[int]:
        return await self._leases.requeue_expired()

    async def release_worker(self, worker_id: str, reason: str) -> list[int]:
        return await self._leases.release_worker(worker_id, reason)

    async def cancel_task(self, task_id: int, reason: str) -> bool:
        return await self._tasks.cancel(task_id, reason)

    async def answer_task(self, task_id: int, result: Any = None) -> bool:
        return await self._tasks.answer(task_id, result)

    async def get_task(self, task_id: int) -> Task:
        return await self._tasks.get(task_id)

    async def list_tasks(self, session_id: str) -> list[Task]:
        return await self._tasks.list_all(session_id)

    async def counts(self, session_id: str | None = None) -> list[StatusCount]:
        return await self._tasks.counts(session_id)

    # workers

    async def register_worker(self, worker: WorkerInfo) -> None:
        await self._workers.register(worker)

    async def heartbeat(self, worker_id: str, beat: WorkerBeat, *, lease_s: float) -> int:
        return await self._workers.heartbeat(worker_id, beat, lease_s=lease_s)

    async def set_worker_status(self, worker_id: str, status: WorkerStatus) -> None:
        await self._workers.set_status(worker_id, status)

    async def list_workers(self, *, include_stopped: bool = False) -> list[WorkerInfo]:
        return await self._workers.list_all(include_stopped=include_stopped)

    # the bus

    async def publish(
        self, channel: str, body: Body | dict[str, Any], *, sender: str | None = None,
        kind: str | None = None,
    ) -> int:
        return await self._bus.publish(channel, body, sender=sender, kind=kind)

    async def read(
        self, channels: Sequence[str], after: int = 0, limit: int = 1000
    ) -> list[Message]:
        return await self._bus.read(channels, after, limit)

    async def last_message_id(self) -> int:
        return await self._bus.last_message_id()

    @property
    def news_version(self) -> int:
        return self._news.version

    async def wait_for_news(self, max_wait_s: float, after_version: int | None = None) -> bool:
        return await self._news.wait(max_wait_s, after_version)

    async def prune_messages(self, older_than_s: float) -> int:
        return await self._bus.prune(older_than_s)

    # the blackboard, for hosts that share only the store

    async def put_blackboard_file(self, session_id: str, path: str, text: str) -> int:
        return await self._board_files.put(session_id, path, text)

    async def blackboard_files(
        self, session_id: str, after: int = 0, limit: int = 100
    ) -> list[BoardFileCopy]:
        return await self._board_files.after(session_id, after, limit)

    # content-addressed blobs

    async def missing_blobs(self, hashes: Sequence[str]) -> set[str]:
        return await self._blobs.missing(hashes)

    async def put_blobs(self, blobs: Mapping[str, bytes]) -> int:
        return await self._blobs.put(blobs)

    async def get_blobs(self, hashes: Sequence[str]) -> dict[str, bytes]:
        return await self._blobs.get(hashes)

    # the model server

    async def llm_acquire(
        self, holder: str, max_concurrent: int | None, per_minute: int | None, *,
        lease_s: float, owner: str | None = None,
    ) -> float | None:
        return await self._llm.acquire(
            holder, max_concurrent, per_minute, lease_s=lease_s, owner=owner)

    async def llm_release(self, holder: str) -> bool:
        return await self._llm.release(holder)

    async def record_llm_usage(
        self, session_id: str, task_id: int | None, tokens_in: int, tokens_out: int,
        latency_s: float, ok: bool,
    ) -> None:
        await self._llm.record_usage(session_id, task_id, tokens_in, tokens_out, latency_s, ok)

    async def llm_finish(
        self, holder: str | None, session_id: str, task_id: int | None, tokens_in: int,
        tokens_out: int, latency_s: float, ok: bool,
    ) -> bool:
        return await self._llm.finish(holder, session_id, task_id, tokens_in, tokens_out,
                                      latency_s, ok)

    async def llm_usage(self, session_id: str) -> SessionUsage:
        return await self._llm.usage(session_id)
