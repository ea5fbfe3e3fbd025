"""How the SQLite store runs a transaction: whole, in one call on the connection's own
thread (or, a quick one, on the event loop when it can start at once), committed or
rolled back there, and what a cancelled caller leaves behind."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from taskqueue import StoreError
from taskqueue.sqlite import connection
from taskqueue.sqlite.connection import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "swarm.db")
    await db.write(lambda conn: conn.execute("CREATE TABLE notes (text TEXT)"))
    yield db
    await db.close()


def insert_note(text: str) -> Callable[[sqlite3.Connection], None]:
    def insert(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO notes (text) VALUES (?)", (text,))
    return insert


def held_until(started: threading.Event, release: threading.Event,
               then: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    """A transaction that, once begun on the thread, waits for `release` before `then`."""
    def transaction(conn: sqlite3.Connection) -> None:
        started.set()
        assert release.wait(10)
        then(conn)
    return transaction


async def notes(db: Database) -> list[str]:
    return await db.read(
        lambda conn: [row[0] for row in conn.execute("SELECT text FROM notes ORDER BY rowid")])


async def in_transaction(db: Database) -> bool:
    return await db.read(lambda conn: conn.in_transaction)


async def test_every_transaction_runs_on_the_connections_one_thread(db: Database) -> None:
    threads = {await db.write(lambda _conn: threading.get_ident()) for _ in range(3)}
    threads.add(await db.read(lambda _conn: threading.get_ident()))

    assert len(threads) == 1
    assert threading.get_ident() not in threads


async def test_a_failing_transaction_is_rolled_back_whole(db: Database) -> None:
    changes: list[int] = []
    db.after_commit = lambda: changes.append(1)

    def insert_then_fail(conn: sqlite3.Connection) -> None:
        insert_note("half")(conn)
        raise ValueError("the change is refused")

    with pytest.raises(ValueError, match="refused"):
        await db.write(insert_then_fail)

    assert await notes(db) == []
    assert not await in_transaction(db)
    assert changes == []


async def test_after_commit_is_called_only_for_a_commit_that_changed_something(
    db: Database,
) -> None:
    changes: list[int] = []
    db.after_commit = lambda: changes.append(1)

    await db.write(lambda conn: conn.execute("SELECT count(*) FROM notes").fetchone())
    assert changes == []
    await db.write(insert_note("one"))
    # Called before the writer resumes, as a waiter woken by it must see the change.
    assert changes == [1]


async def test_a_caller_cancelled_mid_transaction_waits_for_its_end_and_it_commits(
    db: Database,
) -> None:
    started, release = threading.Event(), threading.Event()
    changes: list[int] = []
    db.after_commit = lambda: changes.append(1)
    writing = asyncio.create_task(db.write(held_until(started, release, insert_note("late"))))
    assert await asyncio.to_thread(started.wait, 10)

    writing.cancel()
    await asyncio.sleep(0.05)
    assert not writing.done()  # still waiting for the transaction under way to end
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await writing

    assert await notes(db) == ["late"]
    assert not await in_transaction(db)
    assert changes == [1]


async def test_a_write_cancelled_before_its_turn_never_runs(db: Database) -> None:
    started, release = threading.Event(), threading.Event()
    first = asyncio.create_task(db.write(held_until(started, release, insert_note("first"))))
    assert await asyncio.to_thread(started.wait, 10)
    second = asyncio.create_task(db.write(insert_note("second")))
    await asyncio.sleep(0.01)  # submitted, queued behind the first

    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    release.set()
    await first

    assert await notes(db) == ["first"]


async def test_a_closed_database_refuses_work_and_closes_once(db: Database) -> None:
    await db.close()
    await db.close()

    with pytest.raises(StoreError, match="closed"):
        await notes(db)


async def test_a_quick_call_runs_on_the_loop_when_nothing_waits(db: Database) -> None:
    here = threading.get_ident()

    written_on = await db.write(lambda _conn: threading.get_ident(), quick=True)
    read_on = await db.read(lambda _conn: threading.get_ident(), quick=True)

    assert written_on == read_on == here


async def test_a_quick_call_waits_its_turn_behind_calls_on_the_thread(db: Database) -> None:
    started, release = threading.Event(), threading.Event()
    first = asyncio.create_task(db.write(held_until(started, release, insert_note("first"))))
    await asyncio.to_thread(started.wait, 10)

    second = asyncio.create_task(db.write(insert_note("second"), quick=True))
    await asyncio.sleep(0.05)
    assert not second.done()
    release.set()
    await asyncio.gather(first, second)

    assert await notes(db) == ["first", "second"]


async def test_a_quick_write_on_a_locked_database_waits_on_the_thread(
        db: Database, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "swarm.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    here = threading.get_ident()

    def insert_where(conn: sqlite3.Connection) -> int:
        insert_note("quick")(conn)
        return threading.get_ident()

    writing = asyncio.create_task(db.write(insert_where, quick=True))
    await asyncio.sleep(0.1)
    assert not writing.done()
    other.execute("COMMIT")
    other.close()

    assert await writing != here
    assert await notes(db) == ["quick"]
    assert not await in_transaction(db)


async def test_a_failing_quick_write_is_rolled_back_and_raised(db: Database) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> None:
        insert_note("half")(conn)
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await db.write(half_then_fail, quick=True)

    assert await notes(db) == []
    assert not await in_transaction(db)


async def test_quick_writes_are_checkpointed_on_the_thread(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpointed_on: list[int] = []
    real_checkpoint = Database._checkpoint

    def recording(self: Database) -> None:
        checkpointed_on.append(threading.get_ident())
        real_checkpoint(self)

    monkeypatch.setattr(Database, "_checkpoint", recording)
    for block in range(2):
        for n in range(connection.CHECKPOINT_EVERY):
            await db.write(insert_note(f"{block}.{n}"), quick=True)
        await db.read(lambda _conn: None)  # a trip: behind the checkpoint now due

    assert len(checkpointed_on) == 2
    assert threading.get_ident() not in checkpointed_on
    # Checkpointed: the WAL was copied back and is being reused, not growing.
    wal_pages = 4096 * 4 * connection.CHECKPOINT_EVERY
    assert (tmp_path / "swarm.db-wal").stat().st_size < wal_pages


async def test_quick_writes_go_on_while_a_checkpoint_runs(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    real_checkpoint = Database._checkpoint

    def slow(self: Database) -> None:
        started.set()
        assert release.wait(10)
        real_checkpoint(self)

    monkeypatch.setattr(Database, "_checkpoint", slow)
    for n in range(connection.CHECKPOINT_EVERY):
        await db.write(insert_note(f"n{n}"), quick=True)
    assert await asyncio.to_thread(started.wait, 10)

    here = await db.write(lambda _conn: threading.get_ident(), quick=True)
    release.set()

    assert here == threading.get_ident()
    assert len(await notes(db)) == connection.CHECKPOINT_EVERY


async def test_no_commit_checkpoints_by_itself(db: Database) -> None:
    assert await db.read(lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
                         ) == 0


async def test_quick_writes_back_to_back_leave_the_loop_for_the_trip_at_times(
        db: Database) -> None:
    # Writes on the loop alone would hold SQLite's write lock nearly all the time, and
    # other processes' writers, waiting in its busy handler, would rarely get in.
    ran_on = [await db.write(lambda _conn: threading.get_ident(), quick=True)
              for _ in range(2000)]

    here = threading.get_ident()
    assert here in ran_on
    assert any(thread != here for thread in ran_on)


async def test_a_read_only_database_answers_quick_reads_on_the_loop(
        db: Database, tmp_path: Path) -> None:
    await db.write(insert_note("kept"))
    copy = await Database.open(tmp_path / "swarm.db", read_only=True)
    try:
        read = await copy.read(
            lambda conn: ([row[0] for row in conn.execute("SELECT text FROM notes")],
                          threading.get_ident()), quick=True)
    finally:
        await copy.close()

    assert read == (["kept"], threading.get_ident())
