"""Opening the database and running transactions on it.

One sqlite3 connection per store, owned by one thread of its own: the connection is
opened on that thread and used there, or by the event loop for a quick call (below),
never by both at once. A transaction is a plain function over the connection, and runs
there whole, as one call: BEGIN IMMEDIATE, the function, COMMIT (or ROLLBACK on any
exception). So a write costs one trip from the event loop to the thread and back,
however many statements it holds, and no lock is held across turns of the event loop;
the thread runs one call at a time, in the order they were made, so two transactions
never interleave.

A write starts with `BEGIN IMMEDIATE` (the write lock is taken up front, so two writers
never deadlock upgrading read locks) and is retried whole when the database stays locked
past the busy timeout: contention slows a caller down, it never reaches a user as a
traceback.

A `quick` call (a small transaction on the hot path: a claim, a completion, a progress
report, a message, a model call's slot, a small plan) runs on the event loop itself when
it can start at once: the thread has nothing queued, and the write lock is free (the
busy timeout is 0 for it). A few dozen microseconds of SQLite cost the loop less than
the trip, whose wait on a busy loop was several milliseconds. Otherwise it takes the
trip as any call, and so do quick writes past their share of the time (see
`LOOP_WRITE_SHARE`). A commit never blocks the loop on the disk: with
`synchronous=NORMAL` a commit does not fsync, and checkpoints (which do) are not
automatic but run on the thread every `CHECKPOINT_EVERY` commits, through a connection
of their own, so that quick calls go on meanwhile.

Cancellation: a call not yet begun on the thread never runs. A caller cancelled while
its call runs waits for that call's end before it raises CancelledError. The call itself
commits or rolls back on the thread, so the connection is never left inside a
transaction, and a cancelled write may still have committed (as before, when its COMMIT
was already queued); `after_commit` is called for it all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from taskqueue.errors import DiskFull, StoreBusy, StoreError
from taskqueue.sqlite.schema import MIGRATIONS, SCHEMA_VERSION

logger = logging.getLogger(__name__)

T = TypeVar("T")
Transaction = Callable[[sqlite3.Connection], T]

BUSY_TIMEOUT_MS = 5000
# About SQLite's default of 1,000 WAL pages between checkpoints: a commit writes several.
CHECKPOINT_EVERY = 250
# SQLite's write lock is not fair: a waiting process retries at growing intervals and
# gets in only if the lock is free just then. Writes on the loop, back to back, would
# hold it nearly all the time; past this share of the time (over bursts of the given
# length) quick writes take the trip, whose gaps let the others in.
LOOP_WRITE_SHARE = 0.7
LOOP_WRITE_BURST_S = 0.002
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
    """A sqlite3 connection on a thread of its own, with retried write transactions."""

    def __init__(self, path: Path, conn: sqlite3.Connection, thread: ThreadPoolExecutor) -> None:
        self.path = path
        self._conn = conn
        self._thread = thread
        self._closed = False
        # Held by whoever uses the connection: its thread, or the loop for a quick call.
        self._in_use = threading.Lock()
        # Trips made and not yet returned (counted on the loop): a quick call waits its
        # turn behind them, so that calls still run in the order they were made.
        self._trips = 0
        self._commits = 0
        self._checkpointing = False
        # A leaky bucket of the time quick writes held the write lock from the loop.
        self._loop_writing_s = 0.0
        self._loop_writing_at = time.perf_counter()
        # Opened on the thread at the first checkpoint, used there only.
        self._checkpointer: sqlite3.Connection | None = None
        self.after_commit: Callable[[], None] = lambda: None

    @classmethod
    async def open(cls, path: Path, *, read_only: bool = False) -> Database:
        """Open (creating if needed) and migrate the database at `path`; `read_only`:
        open an existing one for reading only (a copy that cannot be written)."""
        path = Path(path)
        connect = _connect_read_only if read_only else _connect
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite:{path.name}")
        try:
            conn = await _on(thread, lambda: connect(path))
        except BaseException:
            thread.shutdown(wait=False)
            raise
        db = cls(path, conn, thread)
        if not read_only:
            try:
                await db.write(db._migrate)
            except BaseException:
                await db.close()
                raise
        return db

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = _user_version(conn)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this swarm understands "
                f"({SCHEMA_VERSION}); upgrade localswarm to open it"
            )
        for target in range(version, SCHEMA_VERSION):
            logger.info("migrating %s to schema version %d", self.path, target + 1)
            for statement in _split_script(MIGRATIONS[target]):
                conn.execute(statement)
        if version != SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    async def write(self, transaction: Transaction[T], *, quick: bool = False) -> T:
        """Run `transaction` inside BEGIN IMMEDIATE … COMMIT, in one trip to the
        connection's thread (on the loop, for a `quick` one that can start at once),
        retried whole while the database is locked."""
        loop = asyncio.get_running_loop()
        if quick and self._may_write_here():
            ran, result = self._commit_here(transaction)
            if ran:
                return cast(T, result)

        def announce() -> None:
            # A loop closed meanwhile had a cancelled caller: nobody there waits for news.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.after_commit)

        deadline = time.monotonic() + BUSY_DEADLINE_S
        pause = 0.002
        while True:
            try:
                return await self._trip(lambda: self._commit(transaction, announce))
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

    def _usable_here(self) -> bool:
        return not (self._closed or self._trips or self._in_use.locked())

    def _may_write_here(self) -> bool:
        """Within the share of time quick writes may hold the write lock from the loop
        (`LOOP_WRITE_SHARE`, with bursts up to `LOOP_WRITE_BURST_S`): past it, writes
        take the trip, whose gaps let other processes' writers in."""
        now = time.perf_counter()
        self._loop_writing_s = max(
            0.0, self._loop_writing_s - (now - self._loop_writing_at) * LOOP_WRITE_SHARE)
        self._loop_writing_at = now
        return self._loop_writing_s < LOOP_WRITE_BURST_S and self._usable_here()

    def _commit_here(self, transaction: Transaction[T]) -> tuple[bool, T | None]:
        """Commit `transaction` on the loop if the write lock is free now; (False, None)
        when it was not, and nothing was done."""
        conn = self._conn
        started = time.perf_counter()
        with self._in_use:
            conn.execute("PRAGMA busy_timeout=0")
            try:
                # On the loop already: waiters hear of the commit before its caller resumes.
                result = self._commit(transaction, self.after_commit)
            except sqlite3.Error as exc:
                if is_busy(exc):
                    return False, None
                raise describe_failure(self.path, exc) from exc
            finally:
                conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                self._loop_writing_s += time.perf_counter() - started
        if self._checkpoint_due():
            self._thread.submit(self._checkpoint)
        return True, result

    def _checkpoint_due(self) -> bool:
        """Whether to checkpoint now; claims the checkpoint when so. Called by whoever
        holds the connection."""
        if self._commits < CHECKPOINT_EVERY or self._checkpointing:
            return False
        self._commits = 0
        self._checkpointing = True
        return True

    def _checkpoint(self) -> None:
        """On the thread, through a connection of its own: quick calls go on meanwhile.
        Copies the WAL into the database as far as readers allow, without waiting for
        them; a failure is the next checkpoint's to mend, not a call's."""
        try:
            if self._checkpointer is None:
                self._checkpointer = sqlite3.connect(self.path, isolation_level=None)
            self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            logger.warning("checkpoint of %s failed: %s", self.path, exc)
        finally:
            self._checkpointing = False

    def _commit(self, transaction: Transaction[T], announce: Callable[[], None]) -> T:
        """One write transaction, on whichever thread holds the connection: it ends
        committed or rolled back, never open."""
        conn = self._conn
        changes = conn.total_changes
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = transaction(conn)
            conn.execute("COMMIT")
        except BaseException:
            _rollback_quietly(conn)
            raise
        # A commit that changed nothing (an idle worker's empty claim) wakes nobody: a
        # waiter woken by its own empty claim would claim again at once, forever.
        if conn.total_changes != changes:
            announce()
        self._commits += 1
        return result

    async def read(self, query: Transaction[T], *, quick: bool = False) -> T:
        """Run read-only statements, in one trip (on the loop for a `quick` one when the
        thread is idle); WAL readers never wait for writers."""
        if quick and self._usable_here():
            with self._in_use:
                try:
                    return query(self._conn)
                except sqlite3.Error as exc:
                    if not is_busy(exc):
                        raise describe_failure(self.path, exc) from exc
        deadline = time.monotonic() + BUSY_DEADLINE_S
        while True:
            try:
                return await self._trip(lambda: query(self._conn))
            except sqlite3.Error as exc:
                if not is_busy(exc) or time.monotonic() > deadline:
                    raise describe_failure(self.path, exc) from exc
                await asyncio.sleep(0.01)

    async def _trip(self, work: Callable[[], T]) -> T:
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        self._trips += 1
        try:
            return await _on(self._thread, lambda: self._holding(work))
        finally:
            self._trips -= 1

    def _holding(self, work: Callable[[], T]) -> T:
        """Run `work` on the connection's thread, holding the connection; a checkpoint
        that falls due is queued behind it, not made before its caller hears back."""
        with self._in_use:
            result = work()
            if self._checkpoint_due():
                self._thread.submit(self._checkpoint)
            return result

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            # Queued behind every call already made, so those run to their end first.
            await _on(self._thread, self._close_connections)
        finally:
            self._thread.shutdown(wait=False)

    def _close_connections(self) -> None:
        try:
            self._conn.close()
        finally:
            if self._checkpointer is not None:
                self._checkpointer.close()


async def _on(thread: ThreadPoolExecutor, work: Callable[[], T]) -> T:
    """Run `work` on `thread`: one trip from the event loop and back (see the module's
    docstring on cancellation)."""
    trip = thread.submit(work)
    try:
        return await asyncio.wrap_future(trip)
    except asyncio.CancelledError:
        if not trip.cancel():
            await _ended(trip)
        raise


async def _ended(trip: Future[Any]) -> None:
    """Wait until `trip` has run to its end; its outcome is dropped (its caller is gone)."""
    ended = asyncio.wrap_future(trip)
    ended.add_done_callback(_drop_outcome)
    await asyncio.wait([ended])


def _drop_outcome(ended: asyncio.Future[Any]) -> None:
    if not ended.cancelled():
        ended.exception()


def _rollback_quietly(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        logger.debug("rollback after a failed transaction failed", exc_info=True)


def _connect(path: Path) -> sqlite3.Connection:
    """Open the database at `path` for writing, in WAL mode with the store's pragmas."""
    _check_location(path)
    try:
        # Used by the thread that opened it and, for quick calls, by the event loop's,
        # never at once (`Database._in_use`).
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
    except sqlite3.Error as exc:
        raise describe_failure(path, exc) from exc
    conn.row_factory = sqlite3.Row
    try:
        _configure(path, conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _configure(path: Path, conn: sqlite3.Connection) -> None:
    try:
        row = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        if row is None or str(row[0]).lower() != "wal":
            raise StoreError(f"{path}: cannot switch the database to WAL mode")
        for pragma in (
            "PRAGMA synchronous=NORMAL",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            # Checkpoints fsync: they run on the connection's thread through a connection
            # of their own (`Database._checkpoint`), never inside a commit on the loop.
            "PRAGMA wal_autocheckpoint=0",
            "PRAGMA foreign_keys=ON",
        ):
            conn.execute(pragma)
    except sqlite3.Error as exc:
        raise describe_failure(path, exc) from exc


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Read-only: no WAL switch, no migration. `mode=ro` sees a live WAL; a copy whose
    WAL index cannot be made (a read-only folder) is read as immutable instead."""
    uri = _checked_uri(path)
    last: sqlite3.Error | None = None
    for flags in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(f"{uri}?{flags}", uri=True, isolation_level=None,
                                   timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        except sqlite3.Error as exc:
            last = exc
            continue
        conn.row_factory = sqlite3.Row
        try:
            version = _user_version(conn)
        except sqlite3.Error as exc:
            last = exc
            conn.close()
            continue
        if version != SCHEMA_VERSION:
            conn.close()
            raise StoreError(f"{path}: schema version {version}, this swarm reads "
                             f"{SCHEMA_VERSION}; it cannot be migrated read-only")
        return conn
    assert last is not None
    raise describe_failure(path, last) from last


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


def _user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
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
