"""Limits on calls to the model server, and model usage, in the workspace's database.

Every worker process of a workspace talks to the same model server, so the limits live
where every process sees them: a call holds a row of `llm_slots` while it runs (at most
N at once), and each call adds a row to `llm_requests` (at most M in a minute). A slot
expires after its lease, or at once when its owner (a worker) is stopped or dead, so a
process killed mid-call cannot keep it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiosqlite

from taskqueue.models import SessionUsage, UsageTotals
from taskqueue.sqlite.connection import Database

# The window of the requests-per-minute limit.
RATE_WINDOW_S = 60.0
# How long a caller waits before asking again for a slot that others hold. Short: a
# release is not announced to the waiter; it asks again.
SLOT_POLL_S = 0.25


class LLMLimits:
    """The store's model-server methods (a part of `SqliteStore`)."""

    _db: Database
    _clock: Callable[[], float]

    async def llm_acquire(
        self, holder: str, max_concurrent: int | None, per_minute: int | None, *,
        lease_s: float, owner: str | None = None,
    ) -> float | None:
        """Take a call slot: None when taken, else how many seconds to wait first.

        `None` for a limit means no limit. A holder that already holds a slot keeps it,
        with its lease renewed, and is not counted twice.
        """

        async def op(conn: aiosqlite.Connection) -> float | None:
            now = self._clock()
            await _expire(conn, now)
            cursor = await conn.execute(
                "UPDATE llm_slots SET expires_at = ? WHERE holder = ?", (now + lease_s, holder))
            if cursor.rowcount:
                return None
            wait = await _wait_for_slot(conn, now, max_concurrent)
            if wait is None:
                wait = await _wait_for_rate(conn, now, per_minute)
            if wait is not None:
                return wait
            await conn.execute(
                "INSERT INTO llm_slots (holder, owner, acquired_at, expires_at) "
                "VALUES (?, ?, ?, ?)", (holder, owner, now, now + lease_s))
            await conn.execute("INSERT INTO llm_requests (time) VALUES (?)", (now,))
            return None

        wait: float | None = await self._db.write(op)
        return wait

    async def llm_release(self, holder: str) -> bool:
        """Give a slot back; False when `holder` held none (it expired, or was released)."""

        async def op(conn: aiosqlite.Connection) -> int:
            cursor = await conn.execute("DELETE FROM llm_slots WHERE holder = ?", (holder,))
            return cursor.rowcount

        return bool(await self._db.write(op))

    async def record_llm_usage(
        self, session_id: str, task_id: int | None, tokens_in: int, tokens_out: int,
        latency_s: float, ok: bool,
    ) -> None:
        async def op(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO llm_usage (session_id, task_id, time, tokens_in, tokens_out, "
                "latency_ms, ok) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, task_id, self._clock(), max(0, tokens_in), max(0, tokens_out),
                 max(0, round(latency_s * 1000)), int(ok)))

        await self._db.write(op)

    async def llm_usage(self, session_id: str) -> SessionUsage:
        async def op(conn: aiosqlite.Connection) -> list[Any]:
            cursor = await conn.execute(
                "SELECT task_id, count(*), sum(ok = 0), sum(tokens_in), sum(tokens_out), "
                "sum(latency_ms) FROM llm_usage WHERE session_id = ? "
                "GROUP BY task_id ORDER BY task_id", (session_id,))
            return list(await cursor.fetchall())

        usage = SessionUsage()
        total_ms = 0
        for task_id, calls, failed, tokens_in, tokens_out, latency_ms in await self._db.read(op):
            totals = UsageTotals(calls=calls, failed=failed, tokens_in=tokens_in,
                                 tokens_out=tokens_out, latency_s=latency_ms / 1000)
            total_ms += latency_ms
            if task_id is not None:
                usage.by_task[task_id] = totals
            usage.total.calls += calls
            usage.total.failed += failed
            usage.total.tokens_in += tokens_in
            usage.total.tokens_out += tokens_out
        usage.total.latency_s = total_ms / 1000
        return usage


async def _expire(conn: aiosqlite.Connection, now: float) -> None:
    await conn.execute(
        "DELETE FROM llm_slots WHERE expires_at <= ? OR owner IN "
        "(SELECT id FROM workers WHERE status IN ('stopped', 'dead'))", (now,))
    await conn.execute("DELETE FROM llm_requests WHERE time <= ?", (now - RATE_WINDOW_S,))


async def _wait_for_slot(
    conn: aiosqlite.Connection, now: float, max_concurrent: int | None
) -> float | None:
    if max_concurrent is None:
        return None
    cursor = await conn.execute("SELECT count(*), min(expires_at) FROM llm_slots")
    held, first_expiry = await cursor.fetchone() or (0, 0.0)
    if held < max_concurrent:
        return None
    # Expired slots were deleted, so the first expiry is still ahead.
    return float(min(SLOT_POLL_S, first_expiry - now))


async def _wait_for_rate(
    conn: aiosqlite.Connection, now: float, per_minute: int | None
) -> float | None:
    if per_minute is None:
        return None
    cursor = await conn.execute("SELECT count(*), min(time) FROM llm_requests")
    made, oldest = await cursor.fetchone() or (0, 0.0)
    if made < per_minute:
        return None
    # The oldest request of the window leaves it first; then one more may be made.
    return float(max(oldest + RATE_WINDOW_S - now, 0.001))
