"""Files that grow while they are read: appends, a file kept open for them, and one started
in place; each refused for another task's file, and durable only when asked."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from blackboard import (
    Blackboard,
    BlackboardFileNotFound,
    FrontMatter,
    OverwriteRefused,
    PathOutsideSession,
    TextNotEncodable,
)
from blackboard.appending import AppendsOf

MINE = FrontMatter(task=7, attempt=1)
THEIRS = FrontMatter(task=8, attempt=1)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_an_append_adds_at_the_end_unsynced_unless_durable(
        board: Blackboard, fsyncs: list[str]) -> None:
    board.write("traces/t.md", "# Heading\n", MINE)
    synced = fsyncs
    synced.clear()

    board.append("traces/t.md", "step 1\n", 7)
    unsynced = list(synced)
    board.append("traces/t.md", "end\n", 7, durable=True)

    assert board.read("traces/t.md").body == "# Heading\nstep 1\nend\n"
    assert unsynced == []
    assert synced == ["file"]


@pytest.mark.parametrize("path", ["traces/none.md", "traces"])
def test_an_append_needs_an_existing_file(board: Blackboard, path: str) -> None:
    with pytest.raises(BlackboardFileNotFound):
        board.append(path, "text", 7)


def test_an_append_to_another_tasks_file_is_refused(board: Blackboard) -> None:
    board.write("traces/t.md", "# Theirs\n", THEIRS)

    with pytest.raises(OverwriteRefused):
        board.append("traces/t.md", "mine\n", 7)
    with pytest.raises(OverwriteRefused):
        board.open_append("traces/t.md", 7)

    assert board.read("traces/t.md").body == "# Theirs\n"


def test_an_append_outside_the_session_is_refused(board: Blackboard, outside: Path) -> None:
    (board.path / "link").symlink_to(outside)

    with pytest.raises(PathOutsideSession):
        board.append("link/secret.md", "text", None)

    assert (outside / "secret.md").read_text(encoding="utf-8") == "secret\n"


def test_text_that_cannot_be_encoded_adds_nothing(board: Blackboard) -> None:
    board.write("traces/t.md", "# Heading\n", MINE)

    with pytest.raises(TextNotEncodable):
        board.append("traces/t.md", "half a surrogate pair: \ud800", 7)

    assert board.read("traces/t.md").body == "# Heading\n"


def test_a_file_kept_open_is_checked_once(board: Blackboard,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    board.write("traces/t.md", "# Heading\n", MINE)
    checks: list[str] = []
    real_check = Blackboard._refuse_foreign_overwrite

    def counted(self: Blackboard, path: str, *args: object) -> None:
        checks.append(path)
        real_check(self, path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Blackboard, "_refuse_foreign_overwrite", counted)
    appending = board.open_append("traces/t.md", 7)
    try:
        for step in range(5):
            appending.add(f"step {step}\n")
    finally:
        appending.close()

    assert checks == ["traces/t.md"]
    assert board.read("traces/t.md").body == "# Heading\n" + "".join(
        f"step {step}\n" for step in range(5))


def test_a_started_file_has_front_matter_and_replaces_the_tasks_own(
        board: Blackboard, fsyncs: list[str]) -> None:
    board.write("traces/t.md", "# An earlier attempt's, much longer\n", MINE)
    synced = fsyncs
    synced.clear()

    appending = board.start_append("traces/t.md", "# Heading\n", MINE)
    appending.add("step 1\n")
    unsynced = list(synced)
    appending.add("end\n", durable=True)
    appending.add("more\n", durable=True)
    appending.close()

    read = board.read("traces/t.md")
    assert read.body == "# Heading\nstep 1\nend\nmore\n"
    assert read.front_matter is not None
    assert read.front_matter.task == 7
    # Neither atomic nor synced when started: the first durable addition makes the file
    # durable and its name too; the next one, the file only.
    assert unsynced == []
    assert synced == ["file", "folder", "file"]


def test_starting_another_tasks_file_is_refused(board: Blackboard) -> None:
    board.write("traces/t.md", "# Theirs\n", THEIRS)

    with pytest.raises(OverwriteRefused):
        board.start_append("traces/t.md", "# Mine\n", MINE)

    assert board.read("traces/t.md").body == "# Theirs\n"


def test_a_started_file_makes_its_folders(board: Blackboard) -> None:
    board.start_append("traces/deep/t.md", "# Heading\n", MINE).close()

    assert board.read("traces/deep/t.md").body == "# Heading\n"


@pytest.mark.parametrize("gone", ["removed", "replaced"])
def test_a_durable_addition_to_a_file_gone_meanwhile_is_refused(
        board: Blackboard, gone: str) -> None:
    appending = board.start_append("traces/t.md", "# Heading\n", MINE)
    if gone == "removed":
        (board.path / "traces/t.md").unlink()
    else:
        board.write("traces/t.md", "# Written whole\n", MINE)

    appending.add("step, to a file nobody reads\n")
    with pytest.raises(BlackboardFileNotFound):
        appending.add("end\n", durable=True)
    appending.close()


def test_appends_of_a_task_keep_one_descriptor_per_file(board: Blackboard) -> None:
    appends = AppendsOf(board, 7)
    before = open_descriptors()

    appends.start("traces/t.md", "# Heading\n", MINE)
    for step in range(3):
        appends.add("traces/t.md", f"step {step}\n")
    held = open_descriptors()
    appends.add("traces/t.md", "end\n", last=True)

    assert held == before + 1
    assert open_descriptors() == before
    assert board.read("traces/t.md").body == "# Heading\nstep 0\nstep 1\nstep 2\nend\n"


def test_an_addition_after_a_write_goes_to_the_new_file(board: Blackboard) -> None:
    appends = AppendsOf(board, 7)
    appends.start("traces/t.md", "# Heading\n", MINE)
    board.write("traces/t.md", "# Written whole\n", MINE)
    appends.replaced("traces/t.md")

    appends.add("traces/t.md", "step\n")
    appends.close()

    assert board.read("traces/t.md").body == "# Written whole\nstep\n"


def test_closing_the_appends_of_a_task_closes_their_files(board: Blackboard) -> None:
    board.write("notes/a.md", "a\n", MINE)
    appends = AppendsOf(board, 7)
    before = open_descriptors()
    appends.add("notes/a.md", "more\n")
    appends.start("traces/t.md", "# Heading\n", MINE)

    appends.close()

    assert open_descriptors() == before


def test_appends_from_several_threads_all_arrive_whole(board: Blackboard) -> None:
    appends = AppendsOf(board, 7)
    board.write("traces/t.md", "", MINE)
    before = open_descriptors()

    def add_lines(writer: int) -> None:
        for line in range(50):
            appends.add("traces/t.md", f"{writer}:{line}\n")

    writers = [threading.Thread(target=add_lines, args=(n,)) for n in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    held = open_descriptors()
    appends.close()

    lines = board.read("traces/t.md").body.splitlines()
    assert sorted(lines) == sorted(f"{n}:{line}" for n in range(4) for line in range(50))
    assert held == before + 1
