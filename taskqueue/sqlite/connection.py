"""Opening the database and running transactions on it.

One aiosqlite connection per store. Every statement goes through one asyncio lock, so a
transaction's statements never interleave with another coroutine's. A write transaction
starts with `BEGIN IMMEDIATE` (the write lock is taken up front, so two writers never
deadlock upgrading read locks) and is retried whole when the database stays locked past
the busy timeout: contention slows a caller down, it never reaches a user as a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiosqlite

from taskqueue.errors import DiskFull, StoreBusy, StoreError
from taskqueue.sqlite.schema import MIGRATIONS, SCHEMA_VERSION

logger = logging.getLogger(__name__)

T = TypeVar("T")
Transaction = Callable[[aiosqlite.Connection], Awaitable[T]]

BUSY_TIMEOUT_MS = 5000
# How long a transaction keeps retrying on a locked database before giving up.
BUSY_DEADLINE_S = 60.0


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


def describe_failure(path: Path, exc: sqlite3.Error) -> StoreError:
    """Turn a sqlite3 error into a one-line StoreError naming the path and the cause."""
    text = str(exc)
    if "file is not a database" in text:
        return StoreError(f"{path}: not a SQLite database ({text})")
    if "readonly" in text or "unable to open" in text:
        return StoreError(
            f"{path}: cannot open for writing; is the directory {path.parent} writable? ({text})"
        )
    if "disk is full" in text or ("disk I/O" in text and no_space_left(path.parent)):
        return DiskFull(f"{path}: the disk is full ({text})")
    if "disk I/O" in text:
        return StoreError(f"{path}: the disk is failing ({text})")
    if "malformed" in text:
        return StoreError(f"{path}: the database is corrupt ({text})")
    return StoreError(f"{path}: {text}")


def no_space_left(folder: Path) -> bool:
    """Whether the file system holding `folder` has no block left for us to write."""
    try:
        return os.statvfs(folder).f_bavail == 0
    except OSError:
        return False


class Database:
    """A serialised aiosqlite connection with retried write transactions."""

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = asyncio.Lock()
        self.after_commit: Callable[[], None] = lambda: None

    @classmethod
    async def open(cls, path: Path, *, read_only: bool = False) -> Database:
        """Open (creating if needed) and migrate the database at `path`; `read_only`:
        open an existing one for reading only (a copy that cannot be written)."""
        path = Path(path)
        if read_only:
            return await cls._open_read_only(path)
        _check_location(path)
        try:
            conn = await aiosqlite.connect(
                path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except sqlite3.Error as exc:
            raise describe_failure(path, exc) from exc
        conn.row_factory = sqlite3.Row
        db = cls(path, conn)
        try:
            await db._configure()
            await db.write(db._migrate)
        except BaseException:
            await conn.close()
            raise
        return db

    @classmethod
    async def _open_read_only(cls, path: Path) -> Database:
        """Read-only: no WAL switch, no migration. `mode=ro` sees a live WAL; a copy whose
        WAL index cannot be made (a read-only folder) is read as immutable instead."""
        uri = _checked_uri(path)
        last: sqlite3.Error | None = None
        for flags in ("mode=ro", "immutable=1"):
            try:
                conn = await aiosqlite.connect(
                    f"{uri}?{flags}", uri=True, isolation_level=None,
                    timeout=BUSY_TIMEOUT_MS / 1000)
            except sqlite3.Error as exc:
                last = exc
                continue
            conn.row_factory = sqlite3.Row
            try:
                version = await _user_version(conn)
            except sqlite3.Error as exc:
                last = exc
                await conn.close()
                continue
            if version != SCHEMA_VERSION:
                await conn.close()
                raise StoreError(f"{path}: schema version {version}, this swarm reads "
                                 f"{SCHEMA_VERSION}; it cannot be migrated read-only")
            return cls(path, conn)
        assert last is not None
        raise describe_failure(path, last) from last

    async def _configure(self) -> None:
        try:
            cursor = await self._conn.execute("PRAGMA journal_mode=WAL")
            row = await cursor.fetchone()
            if row is None or str(row[0]).lower() != "wal":
                raise StoreError(f"{self.path}: cannot switch the database to WAL mode")
            for pragma in (
                "PRAGMA synchronous=NORMAL",
                f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
                "PRAGMA foreign_keys=ON",
            ):
                await self._conn.execute(pragma)
        except sqlite3.Error as exc:
            raise describe_failure(self.path, exc) from exc

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        cursor = await conn.execute("PRAGMA user_version")
        row = await cursor.fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this swarm understands "
                f"({SCHEMA_VERSION}); upgrade localswarm to open it"
            )
        for target in range(version, SCHEMA_VERSION):
            logger.info("migrating %s to schema version %d", self.path, target + 1)
            for statement in _split_script(MIGRATIONS[target]):
                await conn.execute(statement)
        if version != SCHEMA_VERSION:
            await conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    async def write(self, transaction: Transaction[T]) -> T:
        """Run `transaction` inside BEGIN IMMEDIATE … COMMIT, retried whole while locked."""
        deadline = time.monotonic() + BUSY_DEADLINE_S
        pause = 0.002
        while True:
            try:
                async with self._lock:
                    changes = self._conn.total_changes
                    result = await self._run_once(transaction)
                    changed = self._conn.total_changes != changes
            except sqlite3.Error as exc:
                if not is_busy(exc):
                    raise describe_failure(self.path, exc) from exc
                if time.monotonic() > deadline:
                    raise StoreBusy(
                        f"{self.path}: still locked by other writers after "
                        f"{BUSY_DEADLINE_S:g} s of retries"
                    ) from exc
                logger.debug("database locked, retrying in %.3f s", pause)
                await asyncio.sleep(pause * (0.5 + random.random()))
                pause = min(pause * 2, 0.25)
                continue
            # A commit that changed nothing (an idle worker's empty claim) wakes nobody: a
            # waiter woken by its own empty claim would claim again at once, forever.
            if changed:
                self.after_commit()
            return result

    async def _run_once(self, transaction: Transaction[T]) -> T:
        try:
            # Inside the try: a caller cancelled while BEGIN waits for the lock leaves the
            # BEGIN queued on the connection's thread, and it must be rolled back after it.
            await self._conn.execute("BEGIN IMMEDIATE")
            result = await transaction(self._conn)
            await self._conn.execute("COMMIT")
        except BaseException:
            # Shielded: the ROLLBACK is queued on the connection's thread before the lock
            # is released, even when this coroutine is being cancelled.
            await asyncio.shield(_rollback_quietly(self._conn))
            raise
        return result

    async def read(self, transaction: Transaction[T]) -> T:
        """Run read-only statements; WAL readers never wait for writers."""
        deadline = time.monotonic() + BUSY_DEADLINE_S
        while True:
            try:
                async with self._lock:
                    return await transaction(self._conn)
            except sqlite3.Error as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise describe_failure(self.path, exc) from exc
                await asyncio.sleep(0.01)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()


async def _rollback_quietly(conn: aiosqlite.Connection) -> None:
    try:
        await conn.execute("ROLLBACK")
    except sqlite3.Error:
        logger.debug("rollback after a failed transaction failed", exc_info=True)


def _check_location(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create its directory ({exc.strerror})") from exc
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError(
            f"{path}: the directory {path.parent} is not writable "
            "(SQLite needs to create its -wal and -shm files beside the database)"
        )
    if path.exists() and path.stat().st_size > 0:
        _check_header(path)


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except FileNotFoundError:
        raise StoreError(f"{path}: no such database") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if header != b"SQLite format 3\x00":
        raise StoreError(f"{path}: not a SQLite database (its header is not SQLite's)")


def _checked_uri(path: Path) -> str:
    """The `file:` URI of a database checked to exist and to look like SQLite."""
    _check_header(path)
    return path.absolute().as_uri()


async def _user_version(conn: aiosqlite.Connection) -> int:
    cursor = await conn.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _split_script(script: str) -> list[str]:
    # execute() runs one statement; the migrations hold no ';' inside literals.
    statements = []
    for chunk in script.split(";"):
        lines = [ln for ln in chunk.splitlines() if not ln.strip().startswith("--")]
        text = "\n".join(lines).strip()
        if text:
            statements.append(text)
    return statements
