"""Fixtures for the blackboard tests: a fresh session under a temporary root."""

from __future__ import annotations

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
