"""What the store reads outside scripts: sessions, counts, workers, the bus, usage."""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from typing import Any, cast

import redis.asyncio as aioredis

from taskqueue.errors import AmbiguousSession, UnknownSession
from taskqueue.messages import Message
from taskqueue.models import (
    BoardFileCopy,
    Session,
    SessionUsage,
    StatusCount,
    TaskStatus,
    UsageTotals,
    WorkerInfo,
    WorkerStatus,
)
from taskqueue.redis.codec import session_from_hash, worker_from_hash

# Enough to name a few of the sessions an ambiguous prefix matches.
_AMBIGUOUS_SHOWN = 5
_LIVE = {WorkerStatus.RUNNING, WorkerStatus.STOPPING}
USAGE_FIELDS = ("calls", "failed", "tokens_in", "tokens_out", "latency_ms")


class Reads:
    """Reads on one client under one key prefix."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._p = prefix

    async def _ids(self, key: str) -> list[str]:
        """The members of a sorted set, in order (the client decodes them to text)."""
        return cast(list[str], await self._client.zrange(key, 0, -1))

    async def hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """Several hashes in one atomic round trip (empty for a missing key)."""
        pipe = self._client.pipeline(transaction=True)
        for key in keys:
            pipe.hgetall(key)
        return cast(list[dict[str, str]], await pipe.execute()) if keys else []

    async def session(self, session_id: str) -> Session:
        fields = await self._hash(f"{self._p}session:{session_id}")
        if not fields:
            raise UnknownSession(f"no session {session_id!r}")
        return session_from_hash(fields)

    async def find_session(self, prefix: str) -> Session:
        prefix = prefix.strip()
        if not prefix:
            raise UnknownSession("a session id (or a prefix of one) is needed")
        ids = cast(list[str], await self._client.zrangebylex(
            f"{self._p}session_ids", f"[{prefix}", f"[{prefix}\xff",
            start=0, num=_AMBIGUOUS_SHOWN + 1))
        if not ids:
            raise UnknownSession(f"no session starts with {prefix!r}")
        if len(ids) > 1:
            sessions = await self.sessions_by_id(ids)
            names = ", ".join(s.id for s in sessions[:_AMBIGUOUS_SHOWN])
            raise AmbiguousSession(f"{prefix!r} matches several sessions: {names}")
        return await self.session(ids[0])

    async def sessions_by_id(self, ids: Sequence[str]) -> list[Session]:
        found = await self.hashes([f"{self._p}session:{i}" for i in ids])
        sessions = [session_from_hash(fields) for fields in found if fields]
        return sorted(sessions, key=lambda s: (s.created_at, s.id))

    async def all_sessions(self) -> list[Session]:
        return await self.sessions_by_id(await self._ids(f"{self._p}sessions"))

    async def counts(self, session_id: str | None) -> list[StatusCount]:
        ids = [session_id] if session_id else await self._ids(f"{self._p}sessions")
        found = await self.hashes([f"{self._p}counts:{i}" for i in ids])
        counts = []
        for sid, fields in zip(ids, found, strict=True):
            for field, n in fields.items():
                status, role = field.split(":", 1)
                counts.append(StatusCount(session_id=sid, role=role,
                                          status=TaskStatus(status), count=int(n)))
        return sorted(counts, key=lambda c: (c.session_id, c.role, c.status))

    async def workers(self, *, include_stopped: bool) -> list[WorkerInfo]:
        ids = await self._ids(f"{self._p}workers")
        found = await self.hashes([f"{self._p}worker:{i}" for i in ids])
        workers = [worker_from_hash(fields) for fields in found if fields]
        return [w for w in workers if include_stopped or w.status in _LIVE]

    async def messages(self, channels: Sequence[str], after: int, limit: int) -> list[Message]:
        if not channels or limit < 1:
            return []
        pipe = self._client.pipeline(transaction=True)
        start = f"{max(after, 0) + 1}-0"
        for channel in dict.fromkeys(channels):
            pipe.xrange(f"{self._p}channel:{channel}", min=start, count=limit)
        found = [
            _message(channel, entry_id, fields)
            for channel, entries in zip(dict.fromkeys(channels), await pipe.execute(),
                                        strict=True)
            for entry_id, fields in entries
        ]
        return sorted(found, key=lambda m: m.id)[:limit]

    async def last_message_id(self) -> int:
        return int(await self._client.get(f"{self._p}seq:message") or 0)

    async def usage(self, session_id: str) -> SessionUsage:
        fields = await self._hash(f"{self._p}usage:{session_id}")
        per_task: dict[str, dict[str, int]] = {}
        for field, value in fields.items():
            task, name = field.rsplit(":", 1)
            per_task.setdefault(task, {})[name] = int(value)
        usage = SessionUsage()
        for task, sums in sorted(per_task.items()):
            totals = _totals(sums)
            if task:
                usage.by_task[int(task)] = totals
            usage.total.calls += totals.calls
            usage.total.failed += totals.failed
            usage.total.tokens_in += totals.tokens_in
            usage.total.tokens_out += totals.tokens_out
        usage.total.latency_s = sum(s.get("latency_ms", 0) for s in per_task.values()) / 1000
        return usage


    async def board_files(self, session_id: str, after: int, limit: int) -> list[BoardFileCopy]:
        """The session's blackboard files put after sequence `after`, by sequence. Two
        reads: a file put again in between comes with its newer text and is met again,
        under its new sequence, by the next read (copying it twice changes nothing)."""
        if limit < 1:
            return []
        prefix = f"{self._p}board:{session_id}"
        order = cast(list[tuple[str, float]], await self._client.zrangebyscore(
            f"{prefix}:order", f"({after}", "+inf", start=0, num=limit, withscores=True))
        if not order:
            return []
        texts = cast(list[str | None], await self._client.hmget(
            f"{prefix}:text", [path for path, _ in order]))
        return [BoardFileCopy(path=path, text=text, seq=int(seq))
                for (path, seq), text in zip(order, texts, strict=True) if text is not None]

    async def _hash(self, key: str) -> dict[str, str]:
        # redis-py 5 (which the `[bench]` peers pin) types the asyncio client's replies as
        # "awaitable or not"; they always are awaitable here.
        reply = self._client.hgetall(key)
        return cast(dict[str, str], await reply if inspect.isawaitable(reply) else reply)


def _totals(sums: dict[str, int]) -> UsageTotals:
    return UsageTotals(calls=sums.get("calls", 0), failed=sums.get("failed", 0),
                       tokens_in=sums.get("tokens_in", 0), tokens_out=sums.get("tokens_out", 0),
                       latency_s=sums.get("latency_ms", 0) / 1000)


def _message(channel: str, entry_id: str, fields: dict[str, Any]) -> Message:
    return Message(id=int(entry_id.split("-", 1)[0]), time=float(fields["time"]),
                   channel=channel, kind=fields["kind"], sender=fields["sender"],
                   body=json.loads(fields["body"]))

