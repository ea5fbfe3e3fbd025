"""Fixtures for the blackboard tests: a fresh session under a temporary root."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from blackboard import Blackboard

SESSION_ID = "abc123"


@pytest.fixture
def board(tmp_path: Path) -> Blackboard:
    """A created blackboard for session ``abc123`` under ``tmp_path/blackboard``."""
    created = Blackboard(tmp_path / "blackboard", SESSION_ID)
    created.create()
    return created


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the blackboard root, holding a secret file, for escape attempts."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text("secret\n", encoding="utf-8")
    return folder


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What is fsynced during the test: "file" or "folder", in order (clear it to count
    from a later point)."""
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return synced
