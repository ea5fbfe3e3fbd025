"""Listing the session's files and drawing its tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from blackboard import Blackboard, BlackboardFileNotFound, FrontMatter, InvalidBlackboardPath


def _fill(board: Blackboard) -> None:
    board.write("context.md", "request")
    board.write_output("findings", "b", "x", FrontMatter(task=2, attempt=1))
    board.write_output("findings", "a", "x", FrontMatter(task=1, attempt=1))
    board.write("findings/deep/er/c.md", "x")
    board.write("final/report.md", "report")


def test_list_is_sorted_recursive_and_relative_to_the_session(board: Blackboard) -> None:
    _fill(board)

    assert board.list() == [
        "context.md",
        "final/report.md",
        "findings/a--t1-a1.md",
        "findings/b--t2-a1.md",
        "findings/deep/er/c.md",
    ]
    assert board.list("findings/deep") == ["findings/deep/er/c.md"]
    assert board.list("designs") == []


def test_list_skips_temporary_files(board: Blackboard) -> None:
    board.write("findings/a.md", "x")
    (board.path / "findings" / ".a.md.deadbeef.swarm-tmp").write_text("half", encoding="utf-8")

    assert board.list() == ["findings/a.md"]


def test_list_skips_symlinks_leading_outside(board: Blackboard, outside: Path) -> None:
    board.write("findings/a.md", "x")
    (board.path / "findings" / "leak.md").symlink_to(outside / "secret.md")
    (board.path / "findings" / "alias.md").symlink_to("a.md")

    assert board.list() == ["findings/a.md", "findings/alias.md"]


def test_listing_a_missing_folder_is_empty_and_a_file_is_refused(board: Blackboard) -> None:
    board.write("findings/a.md", "x")

    assert board.list("nothing/here") == []
    with pytest.raises(InvalidBlackboardPath, match="not a folder"):
        board.list("findings/a.md")


def test_tree_draws_folders_first_then_files(board: Blackboard) -> None:
    _fill(board)

    assert board.tree() == "\n".join(
        [
            "abc123/",
            "├── analysis/",
            "├── critiques/",
            "├── designs/",
            "├── final/",
            "│   └── report.md",
            "├── findings/",
            "│   ├── deep/",
            "│   │   └── er/",
            "│   │       └── c.md",
            "│   ├── a--t1-a1.md",
            "│   └── b--t2-a1.md",
            "└── context.md",
        ]
    )


def test_tree_of_a_missing_session_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BlackboardFileNotFound, match="blackboard of session s9 does not exist"):
        Blackboard(tmp_path, "s9").tree()
