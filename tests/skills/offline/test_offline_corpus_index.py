"""Indexing a corpus directory: what is skipped, what is re-read, and the errors."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from skills.offline.corpus import CorpusError, CorpusIndex, IndexStats
from skills.offline.walk import read_text


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def bump_mtime(path: Path) -> None:
    """Move the modification time clearly forward, whatever the file system's resolution."""
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 2_000_000_000))


def found_paths(index: CorpusIndex, query: str) -> set[str]:
    return {p.path for p in index.search(query, limit=50)}


def refusing_scandir_for(refused: Path) -> Callable[[Any], Any]:
    """An os.scandir that fails with "Permission denied" for one directory."""
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(os.fsdecode(path)) == refused:
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    return scandir


@pytest.fixture
def root(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    write(corpus, "guide.md", "Leases expire when a worker crashes.\n")
    write(corpus, "notes/backoff.txt", "Exponential backoff with jitter.\n")
    write(corpus, "notes/dlq.md", "A dead-letter queue holds the payload.\n")
    return corpus


@pytest.fixture
def index(tmp_path: Path, root: Path) -> CorpusIndex:
    return CorpusIndex(tmp_path / "home" / "corpus-test.db", root)


def test_first_refresh_indexes_every_text_file(index: CorpusIndex) -> None:
    stats = index.refresh()
    assert stats == IndexStats(checked=3, indexed=3, text_files=3, passages=3)
    assert index.index_db.exists()


def test_skips_vcs_workspace_venvs_dependencies_caches_and_hidden(
    index: CorpusIndex, root: Path
) -> None:
    for hidden in [".git/config", ".swarm/blackboard/x.md", ".venv/lib/x.py", ".secret/x.md"]:
        write(root, hidden, "zebraword\n")
    write(root, "node_modules/pkg/readme.md", "zebraword\n")
    write(root, "__pycache__/mod.txt", "zebraword\n")
    write(root, "site-packages/mod.txt", "zebraword\n")
    write(root, "myenv/pyvenv.cfg", "home = /usr\n")
    write(root, "myenv/lib/x.py", "zebraword\n")
    write(root, ".env", "zebraword=secret\n")
    write(root, "docs/env/variables.md", "zebraword is fine here\n")  # "env" alone is no venv
    stats = index.refresh()
    assert found_paths(index, "zebraword") == {"docs/env/variables.md"}
    assert stats.checked == 4


def test_skips_binary_non_utf8_and_oversized_files(tmp_path: Path, root: Path) -> None:
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00zebraword")
    (root / "latin1.txt").write_bytes("zebraword café".encode("latin-1"))
    write(root, "big.md", "zebraword " * 200)
    write(root, "small.md", "zebraword once\n")
    index = CorpusIndex(tmp_path / "idx.db", root, max_file_bytes=1000)
    stats = index.refresh()
    assert found_paths(index, "zebraword") == {"small.md"}
    assert (stats.checked, stats.indexed, stats.skipped) == (7, 4, 3)


def test_binary_file_is_not_read_again_while_unchanged(
    index: CorpusIndex, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "blob.bin").write_bytes(b"\x00" * 100)
    assert index.refresh().skipped == 1
    reads: list[Path] = []
    def counting_read(path: Path, max_bytes: int) -> str | None:
        reads.append(path)
        return read_text(path, max_bytes)

    monkeypatch.setattr("skills.offline.corpus.read_text", counting_read)
    stats = index.refresh()
    assert (stats.unchanged, stats.skipped, stats.indexed) == (3, 1, 0)
    assert reads == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symbolic_links_are_not_followed(index: CorpusIndex, root: Path, tmp_path: Path) -> None:
    outside = write(tmp_path, "outside/secret.md", "zebraword\n")
    (root / "link.md").symlink_to(outside)
    (root / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    index.refresh()
    assert found_paths(index, "zebraword") == set()


def test_file_count_limit_stops_the_walk_in_a_stable_order(tmp_path: Path, root: Path) -> None:
    index = CorpusIndex(tmp_path / "idx.db", root, max_files=2)
    stats = index.refresh()
    assert (stats.checked, stats.indexed, stats.truncated) == (2, 2, True)
    assert found_paths(index, "leases backoff dead-letter") == {"guide.md", "notes/backoff.txt"}


def test_second_refresh_reads_nothing_when_nothing_changed(index: CorpusIndex) -> None:
    index.refresh()
    stats = index.refresh()
    assert (stats.indexed, stats.unchanged, stats.removed, stats.skipped) == (0, 3, 0, 0)


def test_changed_file_alone_is_reindexed_and_old_text_is_gone(
    index: CorpusIndex, root: Path
) -> None:
    index.refresh()
    changed = write(root, "guide.md", "Heartbeats renew the lease.\n")
    bump_mtime(changed)
    stats = index.refresh()
    assert (stats.indexed, stats.unchanged, stats.removed) == (1, 2, 0)
    assert found_paths(index, "heartbeats") == {"guide.md"}
    assert found_paths(index, "crashes") == set()


def test_touched_file_with_same_content_is_reindexed(index: CorpusIndex, root: Path) -> None:
    index.refresh()
    bump_mtime(root / "notes" / "dlq.md")
    stats = index.refresh()
    assert (stats.indexed, stats.unchanged) == (1, 2)
    assert found_paths(index, "dead-letter") == {"notes/dlq.md"}
    assert stats.passages == 3


def test_removed_file_disappears_from_results(index: CorpusIndex, root: Path) -> None:
    index.refresh()
    assert found_paths(index, "backoff") == {"notes/backoff.txt"}
    (root / "notes" / "backoff.txt").unlink()
    stats = index.refresh()
    assert (stats.removed, stats.unchanged, stats.text_files) == (1, 2, 2)
    assert found_paths(index, "backoff") == set()


def test_file_grown_past_the_limit_is_removed(tmp_path: Path, root: Path) -> None:
    index = CorpusIndex(tmp_path / "idx.db", root, max_file_bytes=500)
    index.refresh()
    grown = write(root, "guide.md", "lease " * 200)
    bump_mtime(grown)
    stats = index.refresh()
    assert (stats.removed, stats.skipped) == (1, 1)
    assert found_paths(index, "lease") == set()


def test_index_inside_the_corpus_does_not_index_itself(root: Path) -> None:
    index = CorpusIndex(root / "corpus.db", root)
    index.refresh()
    stats = index.refresh()
    assert (stats.checked, stats.unchanged, stats.skipped) == (3, 3, 0)


def test_index_reused_for_another_root_forgets_the_first(tmp_path: Path, root: Path) -> None:
    CorpusIndex(tmp_path / "idx.db", root).refresh()
    other = tmp_path / "other"
    write(other, "only.md", "Backpressure bounds the queue.\n")
    index = CorpusIndex(tmp_path / "idx.db", other)
    stats = index.refresh()
    assert (stats.indexed, stats.text_files) == (1, 1)
    assert found_paths(index, "backoff leases backpressure") == {"only.md"}


def test_unreadable_file_is_skipped_and_counted(
    index: CorpusIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refusing_read(path: Path, max_bytes: int) -> str | None:
        if path.name == "dlq.md":
            raise PermissionError(13, "Permission denied", str(path))
        return read_text(path, max_bytes)

    monkeypatch.setattr("skills.offline.corpus.read_text", refusing_read)
    stats = index.refresh()
    assert (stats.indexed, stats.skipped) == (2, 1)
    monkeypatch.undo()
    stats = index.refresh()  # not remembered: readable again, indexed now
    assert (stats.indexed, stats.unchanged) == (1, 2)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_and_directory_by_permissions_are_skipped(
    index: CorpusIndex, root: Path
) -> None:
    write(root, "readable.md", "Still readable.\n")
    (root / "guide.md").chmod(0)
    (root / "notes").chmod(0)
    try:
        stats = index.refresh()
    finally:
        (root / "guide.md").chmod(0o644)
        (root / "notes").chmod(0o755)
    assert (stats.indexed, stats.skipped) == (1, 2)
    assert found_paths(index, "still readable") == {"readable.md"}


def test_unreadable_directory_is_skipped_and_counted(
    index: CorpusIndex, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "scandir", refusing_scandir_for(root / "notes"))
    stats = index.refresh()
    assert (stats.indexed, stats.skipped) == (1, 1)
    assert found_paths(index, "leases backoff dead-letter") == {"guide.md"}


def test_missing_root_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(CorpusError, match=f"corpus {missing} does not exist"):
        CorpusIndex(tmp_path / "idx.db", missing).refresh()


def test_root_that_is_a_file_is_an_error_naming_it(tmp_path: Path) -> None:
    a_file = write(tmp_path, "file.md", "text\n")
    with pytest.raises(CorpusError, match=f"corpus {a_file} is not a directory"):
        CorpusIndex(tmp_path / "idx.db", a_file).refresh()


def test_unreadable_root_is_an_error_naming_it(
    index: CorpusIndex, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "scandir", refusing_scandir_for(root))
    with pytest.raises(CorpusError, match=f"corpus {root} is not readable \\(Permission denied\\)"):
        index.refresh()


def test_empty_root_holds_no_text_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    expected = f"^corpus {empty} holds no text files \\(checked 0 files\\)$"
    with pytest.raises(CorpusError, match=expected):
        CorpusIndex(tmp_path / "idx.db", empty).refresh()


def test_root_with_only_binaries_and_blank_files_holds_no_text(tmp_path: Path) -> None:
    only = tmp_path / "only"
    only.mkdir()
    (only / "a.bin").write_bytes(b"\x00\x01")
    (only / "blank.txt").write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"holds no text files \(checked 2 files\)"):
        CorpusIndex(tmp_path / "idx.db", only).refresh()


def test_corpus_error_is_a_value_error() -> None:
    assert issubclass(CorpusError, ValueError)


def test_concurrent_refreshes_both_succeed_and_index_once(tmp_path: Path, root: Path) -> None:
    results: list[IndexStats] = []
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            results.append(CorpusIndex(tmp_path / "shared.db", root).refresh())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(s.indexed for s in results) == [0, 3]


def test_search_works_while_another_connection_holds_the_write_lock(
    index: CorpusIndex,
) -> None:
    index.refresh()
    writer = sqlite3.connect(index.index_db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        assert found_paths(index, "backoff") == {"notes/backoff.txt"}
    finally:
        writer.execute("ROLLBACK")
        writer.close()
