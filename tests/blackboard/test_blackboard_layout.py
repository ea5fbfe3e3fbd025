"""The session directory's layout and the names given to task outputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blackboard import (
    FOLDERS,
    Blackboard,
    InvalidSessionId,
    output_name,
    sanitize_stem,
)
from blackboard.layout import STEM_MAX_LENGTH


def test_create_makes_the_session_folders(tmp_path: Path) -> None:
    board = Blackboard(tmp_path / "blackboard", "s1")

    board.create()

    assert board.path == tmp_path / "blackboard" / "s1"
    assert sorted(p.name for p in board.path.iterdir()) == sorted(FOLDERS)
    assert set(FOLDERS) == {"findings", "designs", "analysis", "critiques", "final"}


def test_create_is_idempotent_and_keeps_files(board: Blackboard) -> None:
    board.write("findings/a.md", "kept")

    board.create()

    assert board.read("findings/a.md").body == "kept"


def test_exists_reports_whether_the_session_directory_exists(tmp_path: Path) -> None:
    board = Blackboard(tmp_path, "s1")
    assert not board.exists()
    board.create()
    assert board.exists()


@pytest.mark.parametrize("session_id", ["", ".", "..", "a/b", "../up", ".hidden", "a\x00b", "a b"])
def test_session_id_that_is_not_one_plain_name_is_refused(tmp_path: Path, session_id: str) -> None:
    with pytest.raises(InvalidSessionId, match="session id"):
        Blackboard(tmp_path, session_id)


def test_output_name_carries_task_and_attempt() -> None:
    assert output_name("Retry Backoff: a survey!", 12, 2) == "retry-backoff-a-survey--t12-a2.md"


def test_sanitize_stem_folds_accents_and_falls_back_when_nothing_is_left() -> None:
    assert sanitize_stem("Résumé  of -- ÉTUDES") == "resume-of-etudes"
    assert sanitize_stem("!!!") == "output"
    assert sanitize_stem("漢字") == "output"


@given(st.text())
def test_sanitized_stem_is_bounded_dashed_lowercase_alphanumerics(stem: str) -> None:
    clean = sanitize_stem(stem)

    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", clean)
    assert len(clean) <= STEM_MAX_LENGTH
