"""A corpus through the store: uploaded once by content, built and searched on a worker's
home, cited as on the orchestrator's host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skills.builtin.research import search_corpus
from skills.corpus_snapshots import (
    SNAPSHOT_OPTION,
    SnapshotCorpora,
    materialize_snapshot,
    snapshot_dir,
    upload_snapshot,
)
from skills.errors import Fail
from skills.offline.corpus import CorpusIndex
from skills.offline.snapshot import build_manifest
from support.blob_counts import CountingStore
from taskqueue import SqliteStore


def corpus_at(root: Path) -> Path:
    for relative, text in {"docs/leases.md": "# Leases\n\nA lease expires.\n",
                           "queue.py": "def claim_lease():\n    return 1\n",
                           "notes/same.md": "# Leases\n\nA lease expires.\n"}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


async def share(store: Any, root: Path, tmp_path: Path) -> str:
    manifest = build_manifest(CorpusIndex(tmp_path / "orchestrator-index.db", root))
    return await upload_snapshot(store, root, manifest)


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


async def test_a_snapshot_is_built_on_another_home_with_the_same_files(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    corpus = corpus_at(tmp_path / "corpus")
    snapshot = await share(sqlite_store, corpus, tmp_path)

    built = await materialize_snapshot(sqlite_store, snapshot, tmp_path / "worker-home")

    assert built == snapshot_dir(tmp_path / "worker-home", snapshot)
    assert files_under(built) == files_under(corpus)
    assert [p.name for p in built.parent.iterdir()] == [snapshot]  # no temporary left


async def test_sharing_the_same_corpus_again_uploads_nothing(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    corpus = corpus_at(tmp_path / "corpus")
    store = CountingStore(sqlite_store)

    first = await share(store, corpus, tmp_path)
    uploaded_first = list(store.put)
    store.put.clear()
    again = await share(store, corpus, tmp_path)

    # Two files share their content: it is uploaded once, with the manifest last.
    assert len(uploaded_first) == 3
    assert uploaded_first[-1] == first
    assert again == first
    assert store.put == []


async def test_a_changed_file_uploads_only_that_file_and_the_new_manifest(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    corpus = corpus_at(tmp_path / "corpus")
    store = CountingStore(sqlite_store)
    first = await share(store, corpus, tmp_path)
    store.put.clear()
    (corpus / "queue.py").write_text("def claim_lease():\n    return 2\n")

    second = await share(store, corpus, tmp_path)

    assert second != first
    assert len(store.put) == 2
    assert store.put[-1] == second


async def test_a_snapshot_already_built_is_reused_without_reading_the_store(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    snapshot = await share(sqlite_store, corpus_at(tmp_path / "corpus"), tmp_path)
    home = tmp_path / "worker-home"
    await materialize_snapshot(sqlite_store, snapshot, home)
    store = CountingStore(sqlite_store)

    again = await materialize_snapshot(store, snapshot, home)

    assert again == snapshot_dir(home, snapshot)
    assert store.got == []


async def test_a_snapshot_the_store_lacks_fails_the_task_and_leaves_nothing(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    home = tmp_path / "worker-home"

    with pytest.raises(Fail, match="does not hold it"):
        await materialize_snapshot(sqlite_store, "a" * 64, home)

    assert not snapshot_dir(home, "a" * 64).exists()


async def test_a_worker_reads_the_sessions_corpus_from_its_snapshot_and_cites_alike(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    corpus = corpus_at(tmp_path / "corpus")
    snapshot = await share(sqlite_store, corpus, tmp_path)
    session = await sqlite_store.create_session(
        "r", {"corpus": str(corpus), SNAPSHOT_OPTION: snapshot})
    (corpus / "queue.py").rename(corpus / "moved.py")  # the worker never reads the original
    home = tmp_path / "worker-home"

    root, index = await SnapshotCorpora(sqlite_store, home).locate(
        session.id, str(corpus), str(tmp_path / "orchestrator-index.db"))
    passages = search_corpus(index, root, "claim lease", 5)

    assert root == snapshot_dir(home, snapshot)
    assert index.is_relative_to(home / "index")
    assert "queue.py" in {p.path for p in passages}


async def test_another_corpus_or_a_session_without_snapshot_is_read_where_it_is(
    sqlite_store: SqliteStore, tmp_path: Path,
) -> None:
    plain = await sqlite_store.create_session("r", {"corpus": "/c"})
    snapshotted = await sqlite_store.create_session("r", {"corpus": "/c",
                                                          SNAPSHOT_OPTION: "a" * 64})
    corpora = SnapshotCorpora(sqlite_store, tmp_path)

    assert await corpora.locate(plain.id, "/c", "/i.db") == (Path("/c"), Path("/i.db"))
    assert await corpora.locate(snapshotted.id, "/other", "/i.db") == (
        Path("/other"), Path("/i.db"))
