"""Files put in the store by a host that shares only the store are copied, whole and
atomically, into another host's blackboard, from the mark that host keeps on disk; which
hosts copy at all."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from blackboard import Blackboard, FrontMatter, InvalidBlackboardPath
from blackboard.copies import COPY_BATCH, HostCopy, copied_mark
from blackboard.layout import COPY_LOCK, COPY_MARK
from orchestrator.workspace import Workspace
from taskqueue import SqliteStore, default_store_url
from taskqueue.models import BoardFileCopy
from worker.config import WorkerConfig


class CountingSource:
    """The store, with every question counted (`asked`), and every read of files to copy
    recorded: the `after` it was given and how many files it returned. (A copier first
    asks for one file, to learn whether there is anything new: those are not reads.)"""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self.asked = 0
        self.reads: list[tuple[int, int]] = []

    async def blackboard_files(
        self, session_id: str, after: int = 0, limit: int = 100
    ) -> Sequence[BoardFileCopy]:
        self.asked += 1
        files = await self._store.blackboard_files(session_id, after, limit)
        if limit > 1:
            self.reads.append((after, len(files)))
        return files

    @property
    def files_read(self) -> int:
        return sum(n for _, n in self.reads)


async def _put(store: SqliteStore, session_id: str, path: str, text: str) -> int:
    return await store.put_blackboard_file(session_id, path, text)


async def _session_put(store: SqliteStore, tmp_path: Path, files: dict[str, str]
                       ) -> Blackboard:
    """A new session with `files` put in the store in order, and this host's board for
    it (not created)."""
    session = await store.create_session("r", {})
    for path, text in files.items():
        await _put(store, session.id, path, text)
    return Blackboard(tmp_path / "blackboard", session.id)


def _findings(count: int) -> dict[str, str]:
    return {f"findings/f{n}.md": f"finding {n}\n" for n in range(count)}


async def test_files_put_by_one_host_are_copied_whole_to_another(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    session = await sqlite_store.create_session("r", {})
    writer = Blackboard(tmp_path / "worker-host", session.id)
    written = writer.write_output("findings", "a", "found", FrontMatter(task=3, attempt=1))
    relative = written.relative_to(writer.path).as_posix()
    seq = await sqlite_store.put_blackboard_file(session.id, relative,
                                                 writer.read_text(relative))
    reader = Blackboard(tmp_path / "orchestrator-host", session.id)
    copy = HostCopy(sqlite_store, reader)

    assert await copy.update() == seq

    assert reader.read_text(relative) == writer.read_text(relative)
    assert reader.read(relative).front_matter == writer.read(relative).front_matter
    assert await copy.update() == seq
    assert copied_mark(reader) == seq


async def test_a_restarted_copier_starts_from_the_mark_its_host_kept(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    board = await _session_put(sqlite_store, tmp_path, _findings(COPY_BATCH + 5))
    mark = await HostCopy(sqlite_store, board).update()
    assert mark == COPY_BATCH + 5
    # A file removed by hand is not brought back: nothing before the mark is read again.
    (board.path / "findings" / "f0.md").unlink()
    new = await _put(sqlite_store, board.session_id, "findings/late.md", "late\n")

    # Another process of the same home (a worker restarted after a SIGKILL).
    source = CountingSource(sqlite_store)
    again = Blackboard(tmp_path / "blackboard", board.session_id)
    assert await HostCopy(source, again).update() == new

    assert source.reads[0] == (mark, 1)
    assert source.files_read == 1
    assert board.read_text("findings/late.md") == "late\n"
    assert not (board.path / "findings" / "f0.md").exists()
    assert copied_mark(board) == new


async def test_a_file_put_again_is_copied_again_with_its_new_text(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    board = await _session_put(sqlite_store, tmp_path,
                               {"plan.md": "first plan\n", "findings/a.md": "a\n"})
    await HostCopy(sqlite_store, board).update()
    assert board.read_text("plan.md") == "first plan\n"

    # Rewritten after the mark: the store moves it to a new, higher sequence number.
    again = await _put(sqlite_store, board.session_id, "plan.md", "second plan\n")
    assert again > copied_mark(board)
    source = CountingSource(sqlite_store)
    await HostCopy(source, board).update()

    assert board.read_text("plan.md") == "second plan\n"
    assert source.files_read == 1
    assert copied_mark(board) == again


async def test_the_mark_and_its_lock_are_neither_listed_nor_reachable(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    board = await _session_put(sqlite_store, tmp_path,
                               {"context.md": "request\n", "findings/a.md": "a\n"})
    board.create()
    await HostCopy(sqlite_store, board).update()
    assert (board.path / COPY_MARK).is_file()
    assert (board.path / COPY_LOCK).is_file()

    assert board.list() == ["context.md", "findings/a.md"]
    assert COPY_MARK not in board.tree()
    assert COPY_LOCK not in board.tree()
    for name in (COPY_MARK, COPY_LOCK):
        with pytest.raises(InvalidBlackboardPath, match="host's own use"):
            board.read(name)
        with pytest.raises(InvalidBlackboardPath, match="host's own use"):
            board.write(name, "7")
    # Only at the session's top: deeper down the names are a session's files like any.
    board.write(f"findings/{COPY_MARK}", "x")
    assert f"findings/{COPY_MARK}" in board.list()


async def test_a_copy_cut_short_leaves_the_mark_at_the_last_whole_batch(
    sqlite_store: SqliteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    board = await _session_put(sqlite_store, tmp_path, _findings(COPY_BATCH + 5))
    real_write_copy = Blackboard.write_copy

    def dies_on_the_second_batch(self: Blackboard, path: str, text: str) -> Path:
        if path == f"findings/f{COPY_BATCH + 2}.md":
            raise OSError("killed")
        return real_write_copy(self, path, text)

    monkeypatch.setattr(Blackboard, "write_copy", dies_on_the_second_batch)
    with pytest.raises(OSError, match="killed"):
        await HostCopy(sqlite_store, board).update()

    # The files of the first batch are there and the mark says so; of the second, the
    # ones written before the failure are there too but the mark does not promise them.
    assert copied_mark(board) == COPY_BATCH
    monkeypatch.undo()
    source = CountingSource(sqlite_store)
    assert await HostCopy(source, board).update() == COPY_BATCH + 5
    assert source.files_read == 5
    assert len(board.list("findings")) == COPY_BATCH + 5


async def test_copiers_of_one_host_take_turns_and_copy_each_file_once(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    board = await _session_put(sqlite_store, tmp_path, _findings(3 * COPY_BATCH))
    sources = [CountingSource(sqlite_store) for _ in range(4)]
    # Each with a board of its own, as separate processes have: only the lock on disk
    # is shared.
    copies = [HostCopy(s, Blackboard(board.path.parent, board.session_id)) for s in sources]

    marks = await asyncio.gather(*(c.update() for c in copies))

    assert marks == [3 * COPY_BATCH] * 4
    assert sum(s.files_read for s in sources) == 3 * COPY_BATCH


def test_only_a_store_other_than_the_workspaces_own_file_carries_the_blackboard(
    tmp_path: Path,
) -> None:
    own = default_store_url(tmp_path)
    other = f"sqlite://{tmp_path / 'elsewhere' / 'swarm.db'}"

    assert not WorkerConfig(role="r", home=tmp_path).board_through_store
    assert not WorkerConfig(role="r", home=tmp_path, store=own).board_through_store
    assert WorkerConfig(role="r", home=tmp_path, store=other).board_through_store
    assert WorkerConfig(role="r", home=tmp_path, store="redis://h:1/0").board_through_store
    assert not Workspace(tmp_path).board_through_store


async def test_an_update_with_nothing_new_asks_the_store_once_and_takes_no_lock(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    """A worker updates its copy before every attempt: when nothing was put since, that
    must cost one question, not the host's lock (which its other workers wait for)."""
    board = await _session_put(sqlite_store, tmp_path, {})
    board.create()
    copy = HostCopy(sqlite_store, board)

    for _ in range(3):
        assert await copy.update() == 0

    assert not (board.path / COPY_LOCK).exists()
    await _put(sqlite_store, board.session_id, "findings/a.md", "a\n")
    assert await copy.update() == 1
    assert (board.path / COPY_LOCK).exists()


async def test_the_tasks_of_one_claim_share_an_update_begun_since_the_claim(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    board = await _session_put(sqlite_store, tmp_path, {})
    board.create()
    source = CountingSource(sqlite_store)
    copy = HostCopy(source, board)

    claimed_at = time.monotonic()
    assert await asyncio.gather(*(copy.update(fresh_since=claimed_at) for _ in range(8))) \
        == [0] * 8
    assert await copy.update(fresh_since=claimed_at) == 0
    assert source.asked == 1

    # Put after that update began: a task claimed since must not be served by it.
    await _put(sqlite_store, board.session_id, "findings/a.md", "a\n")
    assert await copy.update(fresh_since=time.monotonic()) == 1
    assert board.read_text("findings/a.md") == "a\n"
