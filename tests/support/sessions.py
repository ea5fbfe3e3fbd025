"""Sessions of the real command line for fault tests: a plan of slow tasks that log each
execution, the database read directly, and the checks that nothing done ran again."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from blackboard import Blackboard
from orchestrator.pids import pid_alive
from support.cli import write_plan
from support.swarm_processes import HANG_S

# Each task appends its number to a log when it finishes, so executions can be counted.
SLOW_SKILL = '''
import time

class Slow:
    def execute(self, n: int, log: str, seconds: float = 0.4) -> str:
        time.sleep(seconds)
        with open(log, "a") as out:
            out.write(f"{n}\\n")
        return f"task {n} finished\\n" + "x" * 2000 + "\\nend\\n"
'''


def slow_output(n: int) -> str:
    return f"task {n} finished\n" + "x" * 2000 + "\nend\n"


def slow_plan(tmp_path: Path, tasks: int, seconds: float = 0.4, log: Path | None = None,
              max_attempts: int | None = 10) -> tuple[Path, Path, Path]:
    """A plan file of `tasks` researcher tasks running the `slow` skill; returns the
    plan, the skills directory and the execution log. `max_attempts=None` leaves the
    plan file's default."""
    skills = tmp_path / "skills-dir"
    skills.mkdir(exist_ok=True)
    (skills / "slow.py").write_text(SLOW_SKILL)
    log = log or tmp_path / "executions.log"
    plan = write_plan(tmp_path / "plan.toml", [
        {"id": f"t{n}", "role": "researcher", "skill": "slow", "max_attempts": max_attempts,
         "input": {"n": n, "log": str(log), "seconds": seconds}}
        for n in range(tasks)])
    return plan, skills, log


def db_rows(home: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(home / "swarm.db", timeout=30)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def done_count(home: Path) -> int:
    if not (home / "swarm.db").exists():
        return 0
    try:
        return int(str(db_rows(home, "SELECT count(*) FROM tasks WHERE status = 'done'")[0][0]))
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def wait_for(predicate: Callable[[], object], timeout: float = HANG_S, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not _holds(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {what or predicate}"
        time.sleep(0.05)


def _holds(predicate: Callable[[], object]) -> bool:
    try:
        return bool(predicate())
    except sqlite3.OperationalError:
        # swarm.db exists a few milliseconds before its schema is committed.
        return False


def wait_for_workers_to_exit(home: Path, timeout: float = HANG_S) -> None:
    """Every worker process the workspace ever registered is gone."""
    pids = [int(str(pid)) for (pid,) in db_rows(home, "SELECT pid FROM workers")]
    wait_for(lambda: not any(pid_alive(pid) for pid in pids), timeout, f"workers {pids} to exit")


def executions(log: Path) -> Counter[str]:
    return Counter(log.read_text().split()) if log.exists() else Counter()


def assert_no_done_task_ran_again(home: Path) -> None:
    """By the bus: every task has at most one task.done, and none started after it."""
    rows = db_rows(home, "SELECT id, kind, body FROM messages WHERE kind IN "
                         "('task.started', 'task.done') ORDER BY id")
    done: set[int] = set()
    for _, kind, body in rows:
        task_id = json.loads(str(body))["task_id"]
        assert task_id not in done, f"task {task_id} {kind} after it was done"
        if kind == "task.done":
            done.add(task_id)


def assert_finished_once(home: Path, session_id: str, log: Path, tasks: int) -> None:
    """The session of a `slow_plan` of `tasks` tasks ended whole: its tasks and the
    synthesis are done and the report is written; every task ran to its end, none ran
    again once done, and every output is whole on the blackboard."""
    statuses = dict(db_rows(home, "SELECT status, count(*) FROM tasks GROUP BY status"))
    assert statuses == {"done": tasks + 1}  # the tasks and the synthesis
    assert (home / "blackboard" / session_id / "final" / "report.md").exists()
    assert_no_done_task_ran_again(home)
    assert set(executions(log)) == {str(n) for n in range(tasks)}
    assert_board_whole(home, session_id)


def assert_board_whole(home: Path, session_id: str) -> None:
    """Every done task's output is on the blackboard, whole, under its front matter."""
    rows = db_rows(home, "SELECT id, attempt, input, result FROM tasks "
                         "WHERE session_id = ? AND skill = 'slow'", session_id)
    assert rows
    assert_board_files_whole(home, session_id, [
        SlowOutput(int(str(task_id)), int(str(attempt)), json.loads(str(input_json))["n"],
                   json.loads(str(result_json))["data"]["output"])
        for task_id, attempt, input_json, result_json in rows])


class SlowOutput(NamedTuple):
    """Where a done `slow` task's attempt wrote its output, and what it must read."""

    task_id: int
    attempt: int
    n: int
    path: str


def assert_board_files_whole(home: Path, session_id: str, outputs: list[SlowOutput]) -> None:
    """Each done `slow` task's output is on the blackboard, whole, under its front matter."""
    board = Blackboard(home / "blackboard", session_id)
    for output in outputs:
        found = board.read(output.path)
        assert found.front_matter is not None, found.path
        assert (found.front_matter.task, found.front_matter.attempt) == (
            output.task_id, output.attempt)
        assert found.body == slow_output(output.n), found.path


class FinishedSession(NamedTuple):
    """A session that has already ended, in its workspace: what a module's tests share."""

    home: Path
    session_id: str
