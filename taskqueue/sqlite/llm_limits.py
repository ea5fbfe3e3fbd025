"""Limits on calls to the model server, and model usage, in the workspace's database.

Every worker process of a workspace talks to the same model server, so the limits live
where every process sees them: a call holds a row of `llm_slots` while it runs (at most
N at once), and each call adds a row to `llm_requests` (at most M in a minute). A slot
expires after its lease, or at once when its owner (a worker) is stopped or dead, so a
process killed mid-call cannot keep it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from taskqueue.models import SessionUsage, UsageTotals
from taskqueue.sqlite.outbox import StoreDatabase, Write

# The window of the requests-per-minute limit.
RATE_WINDOW_S = 60.0
# How long a caller waits before asking again for a slot that others hold. Short: a
# release is not announced to the waiter; it asks again.
SLOT_POLL_S = 0.25


class LlmLimits:
    """Call slots and the request rate shared by every process, and usage per session."""

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db

    async def acquire(
        self, holder: str, max_concurrent: int | None, per_minute: int | None, *,
        lease_s: float, owner: str | None,
    ) -> float | None:
        return await self._db.write(
            lambda w: _acquire(w, holder, max_concurrent, per_minute, lease_s, owner),
            quick=True)

    async def release(self, holder: str) -> bool:
        return await self._db.write(lambda w: _delete_slot(w.conn, holder), quick=True)

    async def record_usage(
        self, session_id: str, task_id: int | None, tokens_in: int, tokens_out: int,
        latency_s: float, ok: bool,
    ) -> None:
        row = _usage_row(session_id, task_id, tokens_in, tokens_out, latency_s, ok)
        await self._db.write(lambda w: _insert_usage(w, row), quick=True)

    async def finish(
        self, holder: str | None, session_id: str, task_id: int | None, tokens_in: int,
        tokens_out: int, latency_s: float, ok: bool,
    ) -> bool:
        """Give the slot back and count the call, in one transaction."""
        row = _usage_row(session_id, task_id, tokens_in, tokens_out, latency_s, ok)

        def release_and_count(w: Write) -> bool:
            released = holder is not None and _delete_slot(w.conn, holder)
            _insert_usage(w, row)
            return released

        return await self._db.write(release_and_count, quick=True)

    async def usage(self, session_id: str) -> SessionUsage:
        return _sum_usage(await self._db.read(lambda conn: _usage_by_task(conn, session_id)))


def _acquire(
    w: Write, holder: str, max_concurrent: int | None, per_minute: int | None,
    lease_s: float, owner: str | None,
) -> float | None:
    """Take a call slot: None when taken, else how many seconds to wait first.

    `None` for a limit means no limit. A holder that already holds a slot keeps it, with
    its lease renewed, and is not counted twice.
    """
    _expire(w.conn, w.now)
    cursor = w.conn.execute(
        "UPDATE llm_slots SET expires_at = ? WHERE holder = ?", (w.now + lease_s, holder))
    if cursor.rowcount:
        return None
    wait = _wait_for_room(w.conn, w.now, max_concurrent, per_minute)
    if wait is not None:
        return wait
    w.conn.execute(
        "INSERT INTO llm_slots (holder, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)",
        (holder, owner, w.now, w.now + lease_s))
    w.conn.execute("INSERT INTO llm_requests (time) VALUES (?)", (w.now,))
    return None


def _delete_slot(conn: sqlite3.Connection, holder: str) -> bool:
    cursor = conn.execute("DELETE FROM llm_slots WHERE holder = ?", (holder,))
    return cursor.rowcount > 0


UsageRow = tuple[str, int | None, int, int, int, int]


def _usage_row(session_id: str, task_id: int | None, tokens_in: int, tokens_out: int,
               latency_s: float, ok: bool) -> UsageRow:
    return (session_id, task_id, max(0, tokens_in), max(0, tokens_out),
            max(0, round(latency_s * 1000)), int(ok))


def _insert_usage(w: Write, row: UsageRow) -> None:
    session_id, task_id, tokens_in, tokens_out, latency_ms, ok = row
    w.conn.execute(
        "INSERT INTO llm_usage (session_id, task_id, time, tokens_in, tokens_out, "
        "latency_ms, ok) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (session_id, task_id, w.now, tokens_in, tokens_out, latency_ms, ok))


def _usage_by_task(conn: sqlite3.Connection, session_id: str) -> list[Any]:
    return conn.execute(
        "SELECT task_id, count(*), sum(ok = 0), sum(tokens_in), sum(tokens_out), "
        "sum(latency_ms) FROM llm_usage WHERE session_id = ? "
        "GROUP BY task_id ORDER BY task_id", (session_id,)).fetchall()


def _sum_usage(rows: list[Any]) -> SessionUsage:
    usage = SessionUsage()
    total_ms = 0
    for task_id, calls, failed, tokens_in, tokens_out, latency_ms in rows:
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


def _expire(conn: sqlite3.Connection, now: float) -> None:
    conn.execute(
        "DELETE FROM llm_slots WHERE expires_at <= ? OR owner IN "
        "(SELECT id FROM workers WHERE status IN ('stopped', 'dead'))", (now,))
    conn.execute("DELETE FROM llm_requests WHERE time <= ?", (now - RATE_WINDOW_S,))


def _wait_for_room(
    conn: sqlite3.Connection, now: float, max_concurrent: int | None, per_minute: int | None
) -> float | None:
    """None when a call may start now, else how long until a slot or the rate frees up."""
    [(held, first_expiry, made, oldest)] = conn.execute(
        "SELECT (SELECT count(*) FROM llm_slots), (SELECT min(expires_at) FROM llm_slots), "
        "(SELECT count(*) FROM llm_requests), (SELECT min(time) FROM llm_requests)").fetchall()
    if max_concurrent is not None and held >= max_concurrent:
        # Expired slots were deleted, so the first expiry is still ahead.
        return float(min(SLOT_POLL_S, first_expiry - now))
    if per_minute is not None and made >= per_minute:
        # The oldest request of the window leaves it first; then one more may be made.
        return float(max(oldest + RATE_WINDOW_S - now, 0.001))
    return None
