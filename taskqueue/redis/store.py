"""`RedisStore`: the storage protocol on a Redis server, shared by every host.

Every state change is one Lua script (`lua/`), so it is atomic and carries the bus
messages that report it; reads are plain commands or a read-only script. Times come from
the caller's clock, like `SqliteStore`'s. docs/design.md describes the keys.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from taskqueue.encoding import encode_message, to_json
from taskqueue.errors import UnknownSession, UnknownTask
from taskqueue.messages import (
    Body,
    Message,
    SessionCreated,
    SessionFinished,
    TaskDead,
    TaskFailed,
    TaskProgress,
    WorkerStarted,
)
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
from taskqueue.redis.blobs import RedisBlobs
from taskqueue.redis.codec import tasks_from_dumps, worker_fields
from taskqueue.redis.llm_limits import LlmLimits
from taskqueue.redis.news import StreamNews
from taskqueue.redis.plans import enqueued_ids, plan_batch
from taskqueue.redis.reads import Reads
from taskqueue.redis.reconnect import DEFAULT_LIMIT_S, Reconnect, guarded
from taskqueue.redis.scripts import Scripts, text
from taskqueue.retry import RetryPolicy

Clock = Callable[[], float]
KEY_PREFIX = "swarm:"


class RedisStore:
    """The queue and the bus in one Redis database (see `Store` for every contract).

    `client` is an open redis-py asyncio client (responses decoded); `reconnect` names
    the server in errors (the URL without its password) and says how long a lost
    connection is retried. `clock`, `retry` and `rng` are parameters, as for `SqliteStore`.
    """

    def __init__(
        self, client: aioredis.Redis, news: StreamNews, blobs: RedisBlobs, *,
        reconnect: Reconnect, sender: str, clock: Clock, retry: RetryPolicy,
        rng: Callable[[], float],
    ) -> None:
        self._client = client
        self._blobs = blobs
        self._news = news
        self._reconnect = reconnect
        self._clock = clock
        self._retry = retry
        self._rng = rng
        self._scripts = Scripts(client, prefix=KEY_PREFIX, sender=sender, reconnect=reconnect)
        self._reads = Reads(client, KEY_PREFIX)
        self._llm = LlmLimits(client, self._scripts, KEY_PREFIX, reconnect)

    @classmethod
    async def open(
        cls, url: str, *, password: str | None = None, sender: str = "swarm",
        clock: Clock = time.time, retry: RetryPolicy | None = None,
        rng: Callable[[], float] = random.random, where: str | None = None,
        reconnect_limit_s: float = DEFAULT_LIMIT_S,
    ) -> RedisStore:
        """Connect to the server at `url` (redis:// or rediss://) and check it answers, at
        once: an unreachable URL is an error here. Later, a lost connection is retried for
        up to `reconnect_limit_s` (see `Reconnect`)."""
        where = where or url
        # No retries inside the client: `Reconnect` is the one retry, and it is shown.
        client = aioredis.Redis.from_url(url, password=password, decode_responses=True,
                                         retry=Retry(NoBackoff(), 0))
        try:
            await guarded(where, client.ping)
            news = await guarded(where, lambda: StreamNews.start(client, f"{KEY_PREFIX}news"))
        except BaseException:
            await client.aclose()
            raise
        reconnect = Reconnect(where, limit_s=reconnect_limit_s, rng=rng)
        blobs = RedisBlobs.connect(url, password, KEY_PREFIX, reconnect)
        return cls(client, news, blobs, reconnect=reconnect, sender=sender, clock=clock,
                   retry=retry or RetryPolicy(), rng=rng)

    async def __aenter__(self) -> RedisStore:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._news.close()
        await self._blobs.close()
        await self._client.aclose()

    async def flush(self) -> None:
        """Delete everything this store keeps (its keys only; the database may hold others)."""
        async def delete_all() -> None:
            async for key in self._client.scan_iter(match=f"{KEY_PREFIX}*", count=1000):
                await self._client.delete(key)

        await self._reconnect.call(delete_all)

    async def _run(self, name: str, *args: str | int, now: float | None = None) -> Any:
        """Run a write script (at `now`, default the clock's time) and wake local waiters."""
        reply = await self._scripts.run(name, self._clock() if now is None else now, *args)
        self._news.notify()
        return reply

    # sessions

    async def create_session(self, request: str, options: dict[str, Any]) -> Session:
        session_id = _new_session_id()
        created = SessionCreated(session_id=session_id, request=request).model_dump_json()
        await self._run("session", "create", session_id, request,
                        to_json(options, "options"), created)
        return await self.get_session(session_id)

    async def get_session(self, session_id: str) -> Session:
        return await self._reconnect.call(lambda: self._reads.session(session_id))

    async def find_session(self, prefix: str) -> Session:
        return await self._reconnect.call(lambda: self._reads.find_session(prefix))

    async def list_sessions(self) -> list[Session]:
        return await self._reconnect.call(self._reads.all_sessions)

    async def update_session_options(self, session_id: str, options: dict[str, Any]) -> None:
        if not await self._run("session", "options", session_id, to_json(options, "options")):
            await self.get_session(session_id)  # raises UnknownSession

    async def finish_session(self, session_id: str, status: SessionStatus) -> bool:
        body = SessionFinished(session_id=session_id, status=status).model_dump_json()
        return bool(await self._run("session", "finish", session_id, str(status), body))

    async def cancel_session(self, session_id: str, reason: str) -> int:
        cancelled = int(await self._run("cancel", "session", session_id, reason))
        if cancelled < 0:
            await self.get_session(session_id)  # raises UnknownSession
        return cancelled

    # tasks

    async def enqueue(self, session_id: str, task: NewTask) -> int:
        return (await self.enqueue_plan(session_id, [task]))[0]

    async def enqueue_plan(self, session_id: str, tasks: Sequence[NewTask]) -> list[int]:
        if not tasks:
            return []
        reply = await self._run("enqueue", session_id, plan_batch(tasks))
        return enqueued_ids(reply, session_id, len(tasks))

    async def claim(
        self, worker_id: str, roles: Sequence[str], limit: int = 1, *, lease_s: float,
        session_id: str | None = None,
    ) -> list[Task]:
        if limit < 1 or not roles:
            return []
        now = self._clock()
        dumps = await self._scripts.run("claim", now, worker_id, limit, text(now + lease_s),
                                        session_id or "", *roles)
        # A claim of nothing changed nothing: waking waiters for it would have an idle
        # worker (claim, wait, woken by its own claim, claim...) spin.
        if dumps:
            self._news.notify()
        return tasks_from_dumps(dumps)

    async def complete(self, task_id: int, attempt: int, result: Any = None) -> bool:
        completion = Completion(task_id=task_id, attempt=attempt, result=result)
        return (await self.complete_many([completion]))[0]

    async def complete_many(self, completions: Sequence[Completion]) -> list[bool]:
        if not completions:
            return []
        batch = [[c.task_id, c.attempt, to_json(c.result, f"task {c.task_id}: result")]
                 for c in completions]
        return [bool(done) for done in await self._run("complete", json.dumps(batch))]

    async def fail(
        self, task_id: int, attempt: int, error: str, *, retry: bool = True,
        retry_in: float | None = None,
    ) -> TaskStatus | None:
        now = self._clock()
        delay = retry_in if retry_in is not None else self._retry.delay(attempt, self._rng())
        retry_at = now + delay if retry else None
        queued = TaskFailed(task_id=task_id, attempt=attempt, error=error, retry_at=retry_at)
        dead = TaskDead(task_id=task_id, attempt=attempt, error=error)
        final = TaskFailed(task_id=task_id, attempt=attempt, error=error, final=True)
        status = await self._run(
            "fail", task_id, attempt, error, "" if retry_at is None else text(retry_at),
            queued.model_dump_json(), dead.model_dump_json(), final.model_dump_json(), now=now)
        return None if status is None else TaskStatus(status)

    async def save_checkpoint(self, task_id: int, attempt: int, state: Any) -> bool:
        state_json = to_json(state, f"task {task_id}: checkpoint")
        return bool(await self._run("attempt_note", task_id, attempt, "checkpoint", state_json))

    async def report_progress(
        self, task_id: int, attempt: int, fraction: float, note: str = "", *,
        publish: Body | dict[str, Any] | None = None, kind: str | None = None,
    ) -> bool:
        fraction = min(1.0, max(0.0, fraction))
        body = TaskProgress(task_id=task_id, attempt=attempt, fraction=fraction, note=note)
        # The message published with it, if any: its kind and body as ARGV[10] and [11].
        also = () if publish is None else encode_message("", publish, kind)[1:]
        return bool(await self._run("attempt_note", task_id, attempt, "progress",
                                    text(fraction), note, body.model_dump_json(), *also))

    async def requeue_expired(self) -> list[int]:
        return [int(i) for i in await self._run("release", "expired", "lease expired")]

    async def release_worker(self, worker_id: str, reason: str) -> list[int]:
        # A worker id cannot be "expired" by mistake: ids name a process.
        return [int(i) for i in await self._run("release", worker_id, reason)]

    async def cancel_task(self, task_id: int, reason: str) -> bool:
        cancelled = int(await self._run("cancel", "task", task_id, reason))
        if cancelled < 0:
            raise UnknownTask(f"no task {task_id}")
        return cancelled > 0

    async def answer_task(self, task_id: int, result: Any = None) -> bool:
        answered = int(await self._run(
            "answer", task_id, to_json(result, f"task {task_id}: answer")))
        if answered < 0:
            raise UnknownTask(f"no task {task_id}")
        return answered > 0

    async def get_task(self, task_id: int) -> Task:
        found = await self._scripts.run("read_tasks", self._clock(), "task", task_id)
        if not found:
            raise UnknownTask(f"no task {task_id}")
        return tasks_from_dumps(found)[0]

    async def list_tasks(self, session_id: str) -> list[Task]:
        return tasks_from_dumps(
            await self._scripts.run("read_tasks", self._clock(), "session", session_id))

    async def counts(self, session_id: str | None = None) -> list[StatusCount]:
        return await self._reconnect.call(lambda: self._reads.counts(session_id))

    # workers

    async def register_worker(self, worker: WorkerInfo) -> None:
        started = WorkerStarted(worker=worker.id, role=worker.role, pid=worker.pid)
        await self._run("worker", "register", worker.id, worker_fields(worker),
                        started.model_dump_json())

    async def heartbeat(self, worker_id: str, beat: WorkerBeat, *, lease_s: float) -> int:
        now = self._clock()
        rss = "" if beat.rss_mb is None else text(beat.rss_mb)
        return int(await self._run(
            "worker", "beat", worker_id, to_json(beat.running, "running"), rss,
            str(beat.status), text(now + lease_s), now=now))

    async def set_worker_status(self, worker_id: str, status: WorkerStatus) -> None:
        await self._run("worker", "status", worker_id, str(status))

    async def list_workers(self, *, include_stopped: bool = False) -> list[WorkerInfo]:
        return await self._reconnect.call(
            lambda: self._reads.workers(include_stopped=include_stopped))

    # the bus

    async def publish(
        self, channel: str, body: Body | dict[str, Any], *, sender: str | None = None,
        kind: str | None = None,
    ) -> int:
        channel, kind, body_json = encode_message(channel, body, kind)
        message_id = await self._scripts.run(
            "bus", self._clock(), "publish", channel, kind, body_json, sender=sender)
        self._news.notify()
        return int(message_id)

    async def read(
        self, channels: Sequence[str], after: int = 0, limit: int = 1000
    ) -> list[Message]:
        return await self._reconnect.call(lambda: self._reads.messages(channels, after, limit))

    async def last_message_id(self) -> int:
        return await self._reconnect.call(self._reads.last_message_id)

    @property
    def news_version(self) -> int:
        return self._news.version

    async def wait_for_news(self, max_wait_s: float, after_version: int | None = None) -> bool:
        return await self._news.wait(max_wait_s, after_version)

    async def prune_messages(self, older_than_s: float) -> int:
        now = self._clock()
        return int(await self._run("bus", "prune", text(now - older_than_s), now=now))

    # the blackboard, for hosts that share only the store

    async def put_blackboard_file(self, session_id: str, path: str, text: str) -> int:
        seq = int(await self._run("board", session_id, path, text))
        if not seq:
            raise UnknownSession(f"no session {session_id!r}")
        return seq

    async def blackboard_files(
        self, session_id: str, after: int = 0, limit: int = 100
    ) -> list[BoardFileCopy]:
        return await self._reconnect.call(
            lambda: self._reads.board_files(session_id, after, limit))

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
        return await self._llm.acquire(self._clock(), holder, max_concurrent, per_minute,
                                       lease_s=lease_s, owner=owner)

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
        return await self._reconnect.call(lambda: self._reads.usage(session_id))


def _new_session_id() -> str:
    return uuid.uuid4().hex[:12]
