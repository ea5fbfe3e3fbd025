"""The store's session methods (a part of `SqliteStore`)."""

from __future__ import annotations

import uuid
from typing import Any

import aiosqlite

from taskqueue.errors import AmbiguousSession, UnknownSession
from taskqueue.messages import SessionCreated, SessionFinished, session_channel
from taskqueue.models import Session, SessionStatus
from taskqueue.sqlite import tasks
from taskqueue.sqlite.codec import row_to_session, to_json
from taskqueue.sqlite.store_base import StoreBase


class SessionMethods(StoreBase):

    async def create_session(self, request: str, options: dict[str, Any]) -> Session:
        session_id = uuid.uuid4().hex[:12]
        options_json = to_json(options, "options")

        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> None:
            await conn.execute(
                "INSERT INTO sessions (id, request, status, options, created_at) "
                "VALUES (?, ?, 'running', ?, ?)",
                (session_id, request, options_json, now),
            )
            outbox.append((session_channel(session_id),
                           SessionCreated(session_id=session_id, request=request)))

        await self._write_with_outbox(op)
        return await self.get_session(session_id)

    async def get_session(self, session_id: str) -> Session:
        async def op(conn: aiosqlite.Connection) -> Any:
            cursor = await conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,))
            return await cursor.fetchone()

        row = await self._db.read(op)
        if row is None:
            raise UnknownSession(f"no session {session_id!r}")
        return row_to_session(row)

    async def find_session(self, prefix: str) -> Session:
        prefix = prefix.strip()
        if not prefix:
            raise UnknownSession("a session id (or a prefix of one) is needed")

        async def op(conn: aiosqlite.Connection) -> list[Any]:
            cursor = await conn.execute(
                "SELECT * FROM sessions WHERE substr(id, 1, ?) = ? ORDER BY created_at LIMIT 6",
                (len(prefix), prefix),
            )
            return list(await cursor.fetchall())

        rows = await self._db.read(op)
        if not rows:
            raise UnknownSession(f"no session starts with {prefix!r}")
        if len(rows) > 1:
            names = ", ".join(row["id"] for row in rows[:5])
            raise AmbiguousSession(f"{prefix!r} matches several sessions: {names}")
        return row_to_session(rows[0])

    async def list_sessions(self) -> list[Session]:
        async def op(conn: aiosqlite.Connection) -> list[Any]:
            cursor = await conn.execute("SELECT * FROM sessions ORDER BY created_at, id")
            return list(await cursor.fetchall())

        return [row_to_session(row) for row in await self._db.read(op)]

    async def update_session_options(self, session_id: str, options: dict[str, Any]) -> None:
        options_json = to_json(options, "options")

        async def op(conn: aiosqlite.Connection) -> int:
            cursor = await conn.execute(
                "UPDATE sessions SET options = ? WHERE id = ?", (options_json, session_id)
            )
            return cursor.rowcount

        if not await self._db.write(op):
            raise UnknownSession(f"no session {session_id!r}")

    async def finish_session(self, session_id: str, status: SessionStatus) -> bool:
        """Record the session's end (or, with RUNNING, reopen it); False if unchanged."""

        async def op(conn: aiosqlite.Connection, now: float, outbox: tasks.Outbox) -> bool:
            finished_at = None if status is SessionStatus.RUNNING else now
            cursor = await conn.execute(
                "UPDATE sessions SET status = ?, finished_at = ? WHERE id = ? AND status != ?",
                (status, finished_at, session_id, status),
            )
            if cursor.rowcount:
                outbox.append((session_channel(session_id),
                               SessionFinished(session_id=session_id, status=status)))
            return cursor.rowcount > 0

        return bool(await self._write_with_outbox(op))
