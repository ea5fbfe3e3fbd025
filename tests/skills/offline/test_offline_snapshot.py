"""A corpus's snapshot manifest: the files the index would read, named by content."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from skills.offline.corpus import CorpusIndex
from skills.offline.snapshot import CorpusManifest, SnapshotFile, build_manifest

SHA = "0" * 64


def write(root: Path, relative: str, content: bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_the_manifest_lists_the_text_files_the_index_reads(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    write(root, "docs/a.md", b"# A\n")
    write(root, "b.py", "ä = 1\n".encode())
    write(root, ".env", b"SECRET=1\n")
    write(root, "node_modules/x.js", b"x\n")
    write(root, "image.png", b"\x89PNG\0\0")
    write(root, "latin1.txt", "caf\xe9\n".encode("latin-1"))
    write(root, "big.txt", b"x" * 200)
    index = CorpusIndex(tmp_path / "index.db", root, max_file_bytes=100)

    manifest = build_manifest(index)

    assert [(f.path, f.size) for f in manifest.files] == [("b.py", 7), ("docs/a.md", 4)]


def test_the_same_files_give_the_same_snapshot_hash_and_a_change_another(
    tmp_path: Path,
) -> None:
    one, other = tmp_path / "one", tmp_path / "other"
    for root in (one, other):
        write(root, "a.md", b"a\n")
        write(root, "sub/b.md", b"b\n")

    first = build_manifest(CorpusIndex(tmp_path / "1.db", one))
    same = build_manifest(CorpusIndex(tmp_path / "2.db", other))
    write(other, "a.md", b"changed\n")
    changed = build_manifest(CorpusIndex(tmp_path / "2.db", other))

    assert first.snapshot_hash == same.snapshot_hash
    assert changed.snapshot_hash != first.snapshot_hash
    assert CorpusManifest.from_bytes(first.to_bytes()) == first


def test_the_index_file_inside_the_corpus_is_not_in_the_manifest(tmp_path: Path) -> None:
    write(tmp_path, "a.md", b"a\n")
    index = CorpusIndex(tmp_path / "index.db", tmp_path)
    index.refresh()

    assert [f.path for f in build_manifest(index).files] == ["a.md"]


@pytest.mark.parametrize("path", ["../escape.md", "/etc/passwd", "a/../../b", "a//b", "",
                                  ".hidden/a.md", "a/./b"])
def test_a_path_leaving_the_root_is_refused(path: str) -> None:
    with pytest.raises(ValidationError):
        SnapshotFile(path=path, sha256=SHA, size=0)
