"""What only the SQLite store does: opening files, pragmas, migrations, locks, WAL wake-ups."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import taskqueue
from support.nobody import as_nobody, skip_if_not_dropped
from support.sqlite_locks import write_lock_held
from taskqueue import NewTask, SqliteStore, StoreBusy, StoreError, SwarmError
from taskqueue.sqlite import connection
from taskqueue.sqlite.connection import Database
from taskqueue.sqlite.news import News
from taskqueue.sqlite.schema import MIGRATIONS, SCHEMA_VERSION

REPO = Path(taskqueue.__file__).resolve().parents[1]
TABLES = {"sessions", "tasks", "task_deps", "messages", "workers"}

OPEN_AS_NOBODY = as_nobody(imports="""
    import asyncio, sys
    from taskqueue import SqliteStore, StoreError
""", code="""
    async def main() -> None:
        store = await SqliteStore.open(sys.argv[1])
        await store.close()

    try:
        asyncio.run(main())
    except StoreError as exc:
        print(exc)
        sys.exit(0)
    print("opened")
    sys.exit(1)
""")

PUBLISH_ONE = """
import asyncio, sys
from taskqueue import SqliteStore

async def main() -> None:
    async with await SqliteStore.open(sys.argv[1], sender="other-process") as store:
        await store.publish("news", {"from": "child"}, sender="other-process", kind="note")

asyncio.run(main())
"""


async def run_python(code: str, *args: str, cwd: Path) -> tuple[int, str, str]:
    """Run `code` in a fresh interpreter that imports this checkout's taskqueue."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory any user can reach (pytest's tmp_path sits under a 0o700 root)."""
    base = Path(tempfile.mkdtemp(prefix="swarm-test-"))
    base.chmod(0o755)
    yield base
    for folder in [base, *base.rglob("*")]:
        if folder.is_dir():
            folder.chmod(0o755)
    shutil.rmtree(base)


@pytest.fixture
async def store_path(tmp_path: Path) -> Path:
    """A migrated database file with one session, its store closed again."""
    path = tmp_path / "swarm.db"
    async with await SqliteStore.open(path) as store:
        await store.create_session("seed", {})
    return path


def table_names(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    conn.close()
    return {name for (name,) in rows} - {"sqlite_sequence"}


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
    conn.close()
    return int(version)


async def test_file_that_is_not_a_database_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)

    with pytest.raises(StoreError, match="not a SQLite database") as refused:
        await SqliteStore.open(path)

    assert str(path) in str(refused.value)
    assert path.read_text().startswith("these are my notes")


async def test_database_from_a_newer_swarm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "swarm.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(StoreError, match="newer") as refused:
        await SqliteStore.open(path)

    assert str(path) in str(refused.value)
    assert user_version(path) == SCHEMA_VERSION + 1
    assert table_names(path) == set()


async def test_database_in_a_read_only_directory_is_refused_naming_it(
    shared_dir: Path,
) -> None:
    folder = shared_dir / "readonly"
    folder.mkdir()
    path = folder / "swarm.db"
    async with await SqliteStore.open(path) as store:
        await store.create_session("made by root", {})
    folder.chmod(0o555)

    code, out, err = await run_python(OPEN_AS_NOBODY, str(path), cwd=shared_dir)

    skip_if_not_dropped(code, out)
    assert code == 0, f"the store opened or crashed: {out}{err}"
    assert f"directory {folder} is not writable" in out
    assert err == ""


async def test_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory") as refused:
        await SqliteStore.open(tmp_path)

    assert str(tmp_path) in str(refused.value)


async def read_pragma(db: Database, name: str) -> object:
    def query(conn: sqlite3.Connection) -> object:
        row = conn.execute(f"PRAGMA {name}").fetchone()
        return row[0] if row else None

    return await db.read(query)


async def test_connection_uses_wal_normal_sync_and_foreign_keys(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "swarm.db")
    try:
        names = ("journal_mode", "synchronous", "foreign_keys", "user_version", "busy_timeout")
        pragmas = {name: await read_pragma(db, name) for name in names}
    finally:
        await db.close()

    assert pragmas == {
        "journal_mode": "wal", "synchronous": 1, "foreign_keys": 1,
        "user_version": SCHEMA_VERSION, "busy_timeout": connection.BUSY_TIMEOUT_MS,
    }


@pytest.mark.parametrize("kind", ["zero-byte-file", "empty-database"])
async def test_old_empty_database_is_migrated(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "swarm.db"
    if kind == "zero-byte-file":
        path.touch()
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE scratch (x)")
            conn.execute("DROP TABLE scratch")
        conn.close()
    assert user_version(path) == 0

    async with await SqliteStore.open(path) as store:
        session = await store.create_session("after the upgrade", {})
        task_id = await store.enqueue(session.id, NewTask(role="r"))
        [claimed] = await store.claim("w1", ["r"], 1, lease_s=10)

    assert claimed.id == task_id
    assert user_version(path) == SCHEMA_VERSION
    async with await SqliteStore.open(tmp_path / "fresh.db"):
        pass
    assert table_names(path) == table_names(tmp_path / "fresh.db")
    assert table_names(path) >= TABLES


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
async def test_database_of_an_older_version_is_migrated_keeping_its_data(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "swarm.db"
    with sqlite3.connect(path) as conn:
        for migration in MIGRATIONS[:version]:
            conn.executescript(migration)
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("INSERT INTO sessions (id, request, status, created_at) "
                     "VALUES ('old', 'from an older swarm', 'running', 1.0)")
        conn.execute("INSERT INTO tasks (session_id, role, status, created_at) "
                     "VALUES ('old', 'r', 'queued', 1.0)")
    conn.close()

    async with await SqliteStore.open(path) as store:
        assert (await store.get_session("old")).request == "from an older swarm"
        [claimed] = await store.claim("w1", ["r"], 1, lease_s=10)
        assert await store.complete(claimed.id, claimed.attempt)

    assert user_version(path) == SCHEMA_VERSION


async def test_reopening_a_current_database_keeps_its_data(store_path: Path) -> None:
    async with await SqliteStore.open(store_path) as store:
        [session] = await store.list_sessions()

    assert session.request == "seed"
    assert user_version(store_path) == SCHEMA_VERSION


async def test_write_waits_out_a_lock_held_past_the_busy_timeout(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 50)
    async with await SqliteStore.open(store_path) as store:
        [session] = await store.list_sessions()
        async with write_lock_held(store_path, 0.5) as releasing:
            task_id = await store.enqueue(session.id, NewTask(role="r"))

            assert releasing.is_set()  # the enqueue could only commit after the lock went
            assert (await store.get_task(task_id)).role == "r"


async def test_lock_held_past_the_deadline_is_store_busy_naming_the_path(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(connection, "BUSY_DEADLINE_S", 0.2)
    async with await SqliteStore.open(store_path) as store:
        [session] = await store.list_sessions()
        async with write_lock_held(store_path, 1.5) as releasing:
            with pytest.raises(StoreBusy) as refused:
                await store.enqueue(session.id, NewTask(role="r"))

            assert not releasing.is_set()
        assert isinstance(refused.value, SwarmError)
        assert str(store_path) in str(refused.value)
        assert await store.list_tasks(session.id) == []
        # The store is still usable once the other writer is gone.
        assert await store.enqueue(session.id, NewTask(role="r"))


async def test_write_by_another_process_wakes_a_waiter(
    store_path: Path, tmp_path: Path
) -> None:
    async with await SqliteStore.open(store_path) as store:
        last = await store.last_message_id()
        waiter = asyncio.create_task(store.wait_for_news(10))
        await asyncio.sleep(0.2)  # the waiter has begun watching
        assert not waiter.done()

        code, out, err = await run_python(PUBLISH_ONE, str(store_path), cwd=tmp_path)
        woke = await asyncio.wait_for(waiter, 30)

        assert (code, err) == (0, ""), out
        assert woke
        messages = await store.read(["news"], after=last)
        assert [(m.sender, m.body) for m in messages] == [("other-process", {"from": "child"})]


async def test_a_change_made_while_nobody_waited_wakes_the_next_waiter(
    store_path: Path, tmp_path: Path
) -> None:
    async with await SqliteStore.open(store_path) as store:
        # A wait starts the watch. Once nobody waits, as in a worker whose slots are all
        # busy, the event loop reads one more change and then leaves the rest unread.
        assert not await store.wait_for_news(0.05)
        for _ in range(2):
            seen = store.news_version
            code, out, err = await run_python(PUBLISH_ONE, str(store_path), cwd=tmp_path)
            assert (code, err) == (0, ""), out
            await asyncio.sleep(0.1)
        assert store.news_version == seen

        # The next waiter is told of that change at once, not after its 30 s timeout.
        woke = await asyncio.wait_for(store.wait_for_news(30, seen), 10)

        assert woke
        assert store.news_version > seen


async def test_an_overflowed_event_queue_counts_as_a_change(tmp_path: Path) -> None:
    max_queued = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text())
    news = News(tmp_path / "swarm.db")
    try:
        assert not await news.wait(0.01)  # the watch begins
        seen = news.version
        # Changes to other files of the folder, while nobody listens: more events than the
        # kernel queues (alternating names, so that none merges with the one before).
        for i in range(max_queued + 10):
            with open(tmp_path / f"other-{i % 2}", "ab") as other:
                other.write(b"x")

        assert await asyncio.wait_for(news.wait(30, seen), 10)
    finally:
        await news.close()
