"""The store's sessions (a part of `SqliteStore`)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from taskqueue.errors import AmbiguousSession, UnknownSession
from taskqueue.messages import SessionCreated, SessionFinished, session_channel
from taskqueue.models import Session, SessionStatus
from taskqueue.sqlite.codec import row_to_session, to_json
from taskqueue.sqlite.dependencies import cancel_unfinished, unfinished_of_session
from taskqueue.sqlite.outbox import StoreDatabase, Write

# Enough to name a few of the sessions an ambiguous prefix matches.
_AMBIGUOUS_SHOWN = 5


class Sessions:
    """Creating, finding, finishing and cancelling sessions."""

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db

    async def create(self, request: str, options: dict[str, Any]) -> Session:
        session_id = uuid.uuid4().hex[:12]
        options_json = to_json(options, "options")
        await self._db.write(lambda w: _insert(w, session_id, request, options_json))
        return await self.get(session_id)

    async def get(self, session_id: str) -> Session:
        row = await self._db.read(lambda conn: _select_one(conn, session_id))
        if row is None:
            raise UnknownSession(f"no session {session_id!r}")
        return row_to_session(row)

    async def find(self, prefix: str) -> Session:
        prefix = prefix.strip()
        if not prefix:
            raise UnknownSession("a session id (or a prefix of one) is needed")
        rows = await self._db.read(lambda conn: _select_by_prefix(conn, prefix))
        if not rows:
            raise UnknownSession(f"no session starts with {prefix!r}")
        if len(rows) > 1:
            names = ", ".join(row["id"] for row in rows[:_AMBIGUOUS_SHOWN])
            raise AmbiguousSession(f"{prefix!r} matches several sessions: {names}")
        return row_to_session(rows[0])

    async def list_all(self) -> list[Session]:
        return [row_to_session(row) for row in await self._db.read(_select_all)]

    async def update_options(self, session_id: str, options: dict[str, Any]) -> None:
        options_json = to_json(options, "options")
        if not await self._db.write(lambda w: _set_options(w.conn, session_id, options_json)):
            raise UnknownSession(f"no session {session_id!r}")

    async def finish(self, session_id: str, status: SessionStatus) -> bool:
        return await self._db.write(lambda w: _finish(w, session_id, status))

    async def cancel(self, session_id: str, reason: str) -> int:
        await self.get(session_id)
        return await self._db.write(lambda w: _cancel(w, session_id, reason))


def _insert(w: Write, session_id: str, request: str, options_json: str) -> None:
    w.conn.execute(
        "INSERT INTO sessions (id, request, status, options, created_at) "
        "VALUES (?, ?, 'running', ?, ?)",
        (session_id, request, options_json, w.now),
    )
    w.outbox.add(session_channel(session_id),
                 SessionCreated(session_id=session_id, request=request))


def _select_one(conn: sqlite3.Connection, session_id: str) -> Any:
    return conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()


def _select_by_prefix(conn: sqlite3.Connection, prefix: str) -> list[Any]:
    return conn.execute(
        "SELECT * FROM sessions WHERE substr(id, 1, ?) = ? ORDER BY created_at LIMIT ?",
        (len(prefix), prefix, _AMBIGUOUS_SHOWN + 1),
    ).fetchall()


def _select_all(conn: sqlite3.Connection) -> list[Any]:
    return conn.execute("SELECT * FROM sessions ORDER BY created_at, id").fetchall()


def _set_options(conn: sqlite3.Connection, session_id: str, options_json: str) -> int:
    cursor = conn.execute(
        "UPDATE sessions SET options = ? WHERE id = ?", (options_json, session_id)
    )
    return cursor.rowcount


def _finish(w: Write, session_id: str, status: SessionStatus) -> bool:
    finished_at = None if status is SessionStatus.RUNNING else w.now
    cursor = w.conn.execute(
        "UPDATE sessions SET status = ?, finished_at = ? WHERE id = ? AND status != ?",
        (status, finished_at, session_id, status),
    )
    if cursor.rowcount:
        w.outbox.add(session_channel(session_id),
                     SessionFinished(session_id=session_id, status=status))
    return cursor.rowcount > 0


def _cancel(w: Write, session_id: str, reason: str) -> int:
    cancelled = cancel_unfinished(w, unfinished_of_session(w.conn, session_id), reason)
    cursor = w.conn.execute(
        "UPDATE sessions SET status = 'cancelled', finished_at = ? "
        "WHERE id = ? AND status = 'running'",
        (w.now, session_id),
    )
    if cursor.rowcount:
        w.outbox.add(session_channel(session_id), SessionFinished(
            session_id=session_id, status=SessionStatus.CANCELLED))
    return len(cancelled)
