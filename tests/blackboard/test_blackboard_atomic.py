"""Atomic writes: a file is replaced whole or not at all, and no temporary file lingers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from blackboard import Blackboard, FrontMatter
from blackboard.layout import TEMP_SUFFIX


def _all_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))


def test_write_leaves_no_temporary_file(board: Blackboard) -> None:
    board.write("findings/a.md", "one")
    board.write("findings/a.md", "two")
    board.write_output("findings", "b", "three", FrontMatter(task=1, attempt=1))

    assert not [n for n in _all_names(board.path) if n.endswith(TEMP_SUFFIX)]


def test_failed_rename_keeps_the_old_file_and_removes_the_temporary_one(
    board: Blackboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    board.write("findings/a.md", "old body")
    before = _all_names(board.path)

    def refuse_rename(src: object, dst: object) -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr(os, "replace", refuse_rename)
    with pytest.raises(OSError, match="disk unplugged"):
        board.write("findings/a.md", "new body")
    monkeypatch.undo()

    assert board.read("findings/a.md").body == "old body"
    assert _all_names(board.path) == before


def test_failed_fsync_leaves_no_trace(board: Blackboard, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="I/O error"):
        board.write("findings/new.md", "body")
    monkeypatch.undo()

    assert board.list() == []
    assert not [n for n in _all_names(board.path) if n.endswith(TEMP_SUFFIX)]


def test_text_that_cannot_be_encoded_creates_no_file(board: Blackboard) -> None:
    with pytest.raises(UnicodeEncodeError):
        board.write("findings/bad.md", "half a surrogate pair: \ud800")

    assert _all_names(board.path / "findings") == []


def test_write_fsyncs_the_file_and_its_folder(board: Blackboard, fsyncs: list[str]) -> None:
    board.write("findings/a.md", "body")

    assert fsyncs == ["file", "folder"]


def test_written_file_respects_the_umask(board: Blackboard) -> None:
    previous = os.umask(0o022)
    try:
        written = board.write("findings/a.md", "body")
    finally:
        os.umask(previous)

    assert stat.S_IMODE(written.stat().st_mode) == 0o644
