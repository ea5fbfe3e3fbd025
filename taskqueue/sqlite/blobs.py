"""Content-addressed blobs kept in the store (a part of `SqliteStore`): one row per
sha256, written once."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from taskqueue.blobs import check_blobs
from taskqueue.sqlite.outbox import StoreDatabase, Write

# Hashes per `IN (...)` query: well under SQLite's limit on bound parameters.
_HASHES_PER_QUERY = 500


class Blobs:
    """Which blobs are held, putting new ones, and reading them back."""

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db

    async def missing(self, hashes: Sequence[str]) -> set[str]:
        wanted = list(dict.fromkeys(hashes))
        held = await self._db.read(lambda conn: _select(conn, "sha256", wanted))
        return set(wanted) - {row[0] for row in held}

    async def put(self, blobs: Mapping[str, bytes]) -> int:
        check_blobs(blobs)
        if not blobs:
            return 0
        return await self._db.write(lambda w: _insert(w, blobs))

    async def get(self, hashes: Sequence[str]) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(hashes))
        rows = await self._db.read(lambda conn: _select(conn, "sha256, content", wanted))
        return {row[0]: bytes(row[1]) for row in rows}


def _insert(w: Write, blobs: Mapping[str, bytes]) -> int:
    before = w.conn.total_changes
    w.conn.executemany("INSERT OR IGNORE INTO blobs (sha256, content) VALUES (?, ?)",
                             list(blobs.items()))
    return w.conn.total_changes - before


def _select(conn: sqlite3.Connection, columns: str,
            hashes: list[str]) -> list[sqlite3.Row]:
    rows: list[sqlite3.Row] = []
    for start in range(0, len(hashes), _HASHES_PER_QUERY):
        batch = hashes[start:start + _HASHES_PER_QUERY]
        marks = ", ".join("?" * len(batch))
        rows.extend(conn.execute(
            f"SELECT {columns} FROM blobs WHERE sha256 IN ({marks})", batch).fetchall())
    return rows
