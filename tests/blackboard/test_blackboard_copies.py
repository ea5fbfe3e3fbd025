"""Files put in the store by a host that shares only the store are copied, whole and
atomically, into another host's blackboard; which hosts copy at all."""

from __future__ import annotations

from pathlib import Path

from blackboard import Blackboard, FrontMatter
from blackboard.copies import copy_from_store
from orchestrator.workspace import Workspace
from taskqueue import SqliteStore, default_store_url
from worker.config import WorkerConfig


async def test_files_put_by_one_host_are_copied_whole_to_another(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    session = await sqlite_store.create_session("r", {})
    writer = Blackboard(tmp_path / "worker-host", session.id)
    written = writer.write_output("findings", "a", "found", FrontMatter(task=3, attempt=1))
    relative = written.relative_to(writer.path).as_posix()
    await sqlite_store.put_blackboard_file(session.id, relative, writer.read_text(relative))
    reader = Blackboard(tmp_path / "orchestrator-host", session.id)

    last = await copy_from_store(sqlite_store, reader)

    assert reader.read_text(relative) == writer.read_text(relative)
    assert reader.read(relative).front_matter == writer.read(relative).front_matter
    assert await copy_from_store(sqlite_store, reader, last) == last


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
