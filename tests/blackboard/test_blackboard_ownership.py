"""Names unique per task and attempt, and no task overwriting another task's file."""

from __future__ import annotations

import pickle

import pytest

from blackboard import (
    CONTEXT_FILE,
    FINAL_REPORT,
    Blackboard,
    BlackboardError,
    FrontMatter,
    OverwriteRefused,
)


def test_retry_writes_beside_the_first_attempt(board: Blackboard) -> None:
    first = board.write_output("findings", "Retries", "attempt one", FrontMatter(task=4, attempt=1))
    retry = board.write_output("findings", "Retries", "attempt two", FrontMatter(task=4, attempt=2))

    assert first.name == "retries--t4-a1.md"
    assert retry.name == "retries--t4-a2.md"
    assert board.read("findings/retries--t4-a1.md").body == "attempt one"
    assert board.read("findings/retries--t4-a2.md").body == "attempt two"


def test_different_tasks_with_the_same_stem_get_different_files(board: Blackboard) -> None:
    board.write_output("findings", "same", "from 1", FrontMatter(task=1, attempt=1))
    board.write_output("findings", "same", "from 2", FrontMatter(task=2, attempt=1))

    assert board.list("findings") == ["findings/same--t1-a1.md", "findings/same--t2-a1.md"]


def test_write_output_needs_task_and_attempt(board: Blackboard) -> None:
    with pytest.raises(BlackboardError, match="task id and the attempt"):
        board.write_output("findings", "x", "body", FrontMatter(task=1))


def test_another_task_may_not_overwrite_a_file(board: Blackboard) -> None:
    board.write("analysis/shared.md", "by task 1", FrontMatter(task=1, attempt=1))

    with pytest.raises(OverwriteRefused) as raised:
        board.write("analysis/shared.md", "by task 2", FrontMatter(task=2, attempt=1))

    assert str(raised.value) == (
        f"blackboard file 'analysis/shared.md' in session {board.session_id} "
        "was written by task 1; task 2 may not overwrite it"
    )
    assert board.read("analysis/shared.md").body == "by task 1"


def test_a_write_without_a_task_may_not_overwrite_a_tasks_file(board: Blackboard) -> None:
    board.write("analysis/shared.md", "by task 1", FrontMatter(task=1))

    with pytest.raises(OverwriteRefused, match="a write without a task"):
        board.write("analysis/shared.md", "anonymous")


def test_a_task_may_overwrite_its_own_file(board: Blackboard) -> None:
    board.write("analysis/own.md", "draft", FrontMatter(task=3, attempt=1))
    board.write("analysis/own.md", "final", FrontMatter(task=3, attempt=2))

    read = board.read("analysis/own.md")
    assert read.body == "final"
    assert read.front_matter is not None
    assert read.front_matter.attempt == 2


def test_context_and_report_are_written_with_plain_write(board: Blackboard) -> None:
    board.write(CONTEXT_FILE, "# Request\nfirst")
    board.write(CONTEXT_FILE, "# Request\nwith the plan")
    board.write(FINAL_REPORT, "# Report", FrontMatter(task=9, role="coordinator"))

    assert board.read(CONTEXT_FILE).body == "# Request\nwith the plan"
    assert board.list() == [CONTEXT_FILE, FINAL_REPORT]


def test_hand_written_file_without_a_task_may_be_overwritten(board: Blackboard) -> None:
    (board.path / "critiques" / "notes.md").write_text("by hand", encoding="utf-8")

    board.write("critiques/notes.md", "by task 5", FrontMatter(task=5))

    with pytest.raises(OverwriteRefused):
        board.write("critiques/notes.md", "by task 6", FrontMatter(task=6))


def test_refusal_survives_pickling_across_processes() -> None:
    error = OverwriteRefused("findings/a.md", "s1", 1, 2)

    copy = pickle.loads(pickle.dumps(error))

    assert isinstance(copy, OverwriteRefused)
    assert str(copy) == str(error)

