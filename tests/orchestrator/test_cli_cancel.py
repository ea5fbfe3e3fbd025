"""`swarm cancel`: a session, one task, and what cannot be cancelled because it has
finished."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, assert_clean_error, swarm, swarm_process
from support.sessions import FinishedSession, db_rows, executions, slow_plan, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> FinishedSession:
    home = tmp_path_factory.mktemp("cancel") / "ws"
    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS, home=home)
    assert result.returncode == 0, result.stderr
    return FinishedSession(home, result.stdout.splitlines()[0])


def test_cancel_of_a_finished_session_is_refused_and_changes_nothing(
    finished: FinishedSession,
) -> None:
    result = swarm("cancel", finished.session_id[:6], home=finished.home)

    assert_clean_error(result, f"session {finished.session_id} already finished (done)",
                       "nothing to cancel")
    assert "cancelled" not in result.stdout
    assert db_rows(finished.home, "SELECT status FROM sessions") == [("done",)]
    assert not db_rows(finished.home, "SELECT id FROM tasks WHERE status = 'cancelled'")


def test_cancel_task_cancels_one_queued_task_and_the_session_goes_on(tmp_path: Path) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=5, seconds=0.3, max_attempts=None)
    home = tmp_path / "ws"
    run = swarm_process("run", "Slow work", "--plan", plan, "--skills-dir", skills,
                        "--corpus", SAMPLE_CORPUS, "--workers", "researcher=1", home=home)
    wait_for(lambda: log.exists())
    # One worker runs one task at a time: the last of them is still queued.
    ((task_id, n),) = db_rows(home, "SELECT id, json_extract(input, '$.n') FROM tasks "
                                    "WHERE skill = 'slow' AND status = 'queued' "
                                    "ORDER BY id DESC LIMIT 1")

    cancelled = swarm("cancel", "--task", str(task_id), home=home)

    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.strip() == f"task {task_id} cancelled"
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, (out, err)
    statuses = dict(db_rows(home, "SELECT id, status FROM tasks"))
    assert statuses.pop(task_id) == "cancelled"
    assert set(statuses.values()) == {"done"}
    assert str(n) not in executions(log)


def test_cancel_task_of_a_finished_task_is_refused(finished: FinishedSession) -> None:
    ((task_id,),) = db_rows(finished.home, "SELECT min(id) FROM tasks")

    result = swarm("cancel", "--task", str(task_id), home=finished.home)

    assert_clean_error(result, f"task {task_id} already finished (done)", "nothing to cancel")
    assert db_rows(finished.home, "SELECT status FROM tasks WHERE id = ?", task_id) == [
        ("done",)]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--task", "nine"], "TASK must be a task id"),
        (["--task", "999"], "no task 999"),
        ([], "give either a SESSION or --task TASK"),
        (["feedbeef", "--task", "1"], "give either a SESSION or --task TASK"),
    ],
    ids=["not-a-number", "unknown", "neither", "both"],
)
def test_cancel_with_a_bad_task_is_refused(
    finished: FinishedSession, args: list[str], fragment: str,
) -> None:
    assert_clean_error(swarm("cancel", *args, home=finished.home), fragment)
