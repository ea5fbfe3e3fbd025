"""Confinement: no path given to the blackboard reaches outside its session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blackboard import (
    Blackboard,
    BlackboardFileNotFound,
    FrontMatter,
    InvalidBlackboardPath,
    PathOutsideSession,
)
from blackboard.paths import confine


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../x.md", "'..' is not allowed"),
        ("findings/../../x.md", "'..' is not allowed"),
        ("findings/..", "'..' is not allowed"),
        ("/etc/passwd", "an absolute path is not allowed"),
        ("//tmp/x.md", "an absolute path is not allowed"),
    ],
)
def test_escaping_path_is_refused_with_its_reason(
    board: Blackboard, path: str, reason: str
) -> None:
    expected = f"blackboard path {path!r} leaves session {board.session_id}: {reason}"

    for attempt in (
        lambda: board.write(path, "x"),
        lambda: board.read(path),
        lambda: board.read_text(path),
        lambda: board.list(path),
    ):
        with pytest.raises(PathOutsideSession) as raised:
            attempt()
        assert str(raised.value) == expected


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "the path is empty"),
        ("  ", "the path is empty"),
        ("findings/a\x00.md", "a NUL byte is not allowed"),
        ("findings\\a.md", "a backslash is not allowed"),
        (".", "it names the session itself"),
        ("findings/.a.md.0123.swarm-tmp", "it names a temporary file"),
    ],
)
def test_malformed_path_is_refused_for_writing(board: Blackboard, path: str, reason: str) -> None:
    with pytest.raises(InvalidBlackboardPath, match=reason):
        board.write(path, "x")


def test_dot_segments_and_doubled_slashes_stay_inside(board: Blackboard) -> None:
    board.write("./findings//a.md", "body")

    assert board.read("findings/a.md").path == "findings/a.md"


def test_writing_to_a_folder_is_refused(board: Blackboard) -> None:
    with pytest.raises(InvalidBlackboardPath, match="is a folder"):
        board.write("findings", "x")
    with pytest.raises(InvalidBlackboardPath, match="is a folder"):
        board.write("findings/", "x")


def test_writing_below_a_file_is_refused(board: Blackboard) -> None:
    board.write("findings/a.md", "x")

    with pytest.raises(InvalidBlackboardPath, match="a folder on the path is a file"):
        board.write("findings/a.md/b.md", "x")


def test_symlinked_file_leading_outside_is_refused(board: Blackboard, outside: Path) -> None:
    (board.path / "findings" / "leak.md").symlink_to(outside / "secret.md")

    with pytest.raises(PathOutsideSession, match="symlink"):
        board.read("findings/leak.md")
    with pytest.raises(PathOutsideSession, match="symlink"):
        board.write("findings/leak.md", "overwrite the secret")

    assert (outside / "secret.md").read_text(encoding="utf-8") == "secret\n"


def test_dangling_symlink_leading_outside_is_refused(board: Blackboard, outside: Path) -> None:
    (board.path / "findings" / "trap.md").symlink_to(outside / "not-yet.md")

    with pytest.raises(PathOutsideSession):
        board.write("findings/trap.md", "x")

    assert not (outside / "not-yet.md").exists()


def test_symlinked_folder_leading_outside_is_refused(board: Blackboard, outside: Path) -> None:
    (board.path / "findings" / "sub").symlink_to(outside, target_is_directory=True)

    with pytest.raises(PathOutsideSession):
        board.write("findings/sub/new.md", "x")
    with pytest.raises(PathOutsideSession):
        board.read("findings/sub/secret.md")
    with pytest.raises(PathOutsideSession):
        board.list("findings/sub")

    assert sorted(os.listdir(outside)) == ["secret.md"]


def test_top_level_folder_replaced_by_a_symlink_outside_is_refused(
    board: Blackboard, outside: Path
) -> None:
    (board.path / "designs").rmdir()
    (board.path / "designs").symlink_to(outside, target_is_directory=True)

    with pytest.raises(PathOutsideSession):
        board.write_output("designs", "plan", "x", FrontMatter(task=1, attempt=1))

    assert sorted(os.listdir(outside)) == ["secret.md"]


def test_symlink_loop_is_refused(board: Blackboard) -> None:
    (board.path / "findings" / "loop.md").symlink_to(board.path / "findings" / "loop.md")

    with pytest.raises(PathOutsideSession):
        board.read("findings/loop.md")


def test_symlink_staying_inside_is_followed(board: Blackboard) -> None:
    board.write("findings/real.md", "real body")
    (board.path / "findings" / "alias.md").symlink_to("real.md")

    assert board.read("findings/alias.md").body == "real body"


def test_reading_a_missing_file_names_it(board: Blackboard) -> None:
    with pytest.raises(BlackboardFileNotFound) as raised:
        board.read("findings/none.md")

    expected = f"blackboard file 'findings/none.md' not found in session {board.session_id}"
    assert str(raised.value) == expected


def test_reading_a_folder_is_refused(board: Blackboard) -> None:
    with pytest.raises(InvalidBlackboardPath, match="is a folder"):
        board.read("findings")


@given(st.text(alphabet="./\\\x00ab", max_size=12))
def test_confine_either_refuses_or_stays_inside(path: str) -> None:
    session_dir = Path("/nonexistent-root/session")
    try:
        confined = confine(session_dir, path, "session")
    except InvalidBlackboardPath:
        return

    assert confined.absolute.is_relative_to(session_dir)
    assert confined.absolute != session_dir
    assert ".." not in Path(confined.relative).parts


@pytest.mark.parametrize("path", ["findings/a\nb.md", "notes/\x1b]0;x\x07.md", "x\r.md",
                                  "tab\there.md", "del\x7f.md"],
                         ids=["newline", "escape", "carriage-return", "tab", "delete"])
def test_path_with_a_control_character_is_refused_naming_it(tmp_path: Path, path: str) -> None:
    board = Blackboard(tmp_path, "s1")

    with pytest.raises(InvalidBlackboardPath, match="control character") as refused:
        board.write(path, "text")

    assert repr(path) in str(refused.value)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
