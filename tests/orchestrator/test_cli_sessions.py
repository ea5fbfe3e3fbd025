"""Sessions through the real command line: the README example, interruption and resume,
concurrent runs, detaching, watching, cancelling."""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from support.cli import README_REQUEST, SAMPLE_CORPUS, swarm, swarm_process

pytestmark = pytest.mark.slow

# Each task appends its id to a log when it finishes, so executions can be counted.
SLOW_SKILL = '''
import time
from pathlib import Path

class Slow:
    def execute(self, n: int, log: str, seconds: float = 0.4) -> str:
        time.sleep(seconds)
        with open(log, "a") as out:
            out.write(f"{n}\\n")
        return f"task {n} finished"
'''


def slow_plan(tmp_path: Path, tasks: int, seconds: float = 0.4) -> tuple[Path, Path, Path]:
    skills = tmp_path / "skills-dir"
    skills.mkdir()
    (skills / "slow.py").write_text(SLOW_SKILL)
    log = tmp_path / "executions.log"
    lines = []
    for n in range(tasks):
        lines += ["[[tasks]]", f'id = "t{n}"', 'role = "researcher"', 'skill = "slow"',
                  "[tasks.input]", f"n = {n}", f'log = "{log}"', f"seconds = {seconds}"]
    plan = tmp_path / "plan.toml"
    plan.write_text("\n".join(lines) + "\n")
    return plan, skills, log


def db_rows(home: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "swarm.db") as conn:
        return list(conn.execute(sql, params))


def wait_for(predicate: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not _holds(predicate):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def _holds(predicate: object) -> bool:
    try:
        return bool(predicate())  # type: ignore[operator]
    except sqlite3.OperationalError:
        # swarm.db exists a few milliseconds before its schema is committed.
        return False


def assert_no_done_task_ran_again(home: Path) -> None:
    """By the bus: every task has one task.done, and none started again after it."""
    rows = db_rows(home, "SELECT id, kind, body FROM messages WHERE kind IN "
                         "('task.started', 'task.done') ORDER BY id")
    done_at: dict[int, int] = {}
    for message_id, kind, body in rows:
        task_id = json.loads(str(body))["task_id"]
        if kind == "task.done":
            assert task_id not in done_at, f"task {task_id} completed twice"
            done_at[task_id] = int(str(message_id))
        else:
            assert task_id not in done_at, f"task {task_id} started after it was done"


def test_readme_example_writes_a_report_citing_the_corpus(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    result = swarm("run", README_REQUEST, "--corpus", SAMPLE_CORPUS, home=home)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    session_id, report = lines[0], Path(lines[-1])
    assert report == home / "blackboard" / session_id / "final" / "report.md"
    text = report.read_text()
    cited = {p.name for p in SAMPLE_CORPUS.glob("*.md") if f"{p.name}:" in text}
    assert len(cited) >= 4, cited
    assert "dead-letter" in text.lower()
    status = swarm("status", session_id[:6], "--json", home=home)
    tasks = json.loads(status.stdout)["tasks"]
    assert {t["status"] for t in tasks} == {"done"}
    assert {t["role"] for t in tasks} >= {"planner", "researcher", "analyst", "architect",
                                         "critic", "coordinator"}


def test_sigkill_of_run_then_resume_finishes_without_redoing_done_tasks(tmp_path: Path) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=8)
    home = tmp_path / "ws"
    run = swarm_process("run", "Slow work", "--plan", plan, "--skills-dir", skills,
                        "--corpus", SAMPLE_CORPUS, "--workers", "researcher=2", home=home)
    wait_for(lambda: (home / "swarm.db").exists() and len(
        db_rows(home, "SELECT id FROM tasks WHERE status = 'done'")) >= 2)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    session_id = db_rows(home, "SELECT id FROM sessions")[0][0]
    done_before = {n for (n,) in db_rows(home, "SELECT key FROM tasks WHERE status = 'done'")}
    assert done_before, "nothing finished before the kill"

    resumed = swarm("resume", str(session_id), home=home, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    statuses = Counter(s for (s,) in db_rows(home, "SELECT status FROM tasks"))
    assert statuses == {"done": 9}  # 8 tasks and the synthesis
    assert_no_done_task_ran_again(home)
    executions = Counter(log.read_text().split())
    assert set(executions) == {str(n) for n in range(8)}
    for key in done_before:
        assert executions[str(key)[1:]] == 1, (key, executions)


def test_sigint_exits_130_and_the_session_resumes(tmp_path: Path) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=6)
    home = tmp_path / "ws"
    run = swarm_process("run", "Slow work", "--plan", plan, "--skills-dir", skills,
                        "--corpus", SAMPLE_CORPUS, "--workers", "researcher=1", home=home)
    wait_for(lambda: log.exists() and len(log.read_text().split()) >= 1)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err
    assert "swarm resume" in err
    session_id = out.splitlines()[0]
    (status,) = db_rows(home, "SELECT status FROM sessions")[0]
    assert status == "running"
    assert not db_rows(home, "SELECT id FROM tasks WHERE status = 'running'")
    resumed = swarm("resume", session_id, home=home, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert_no_done_task_ran_again(home)


def test_two_concurrent_runs_in_one_workspace_both_finish(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    first = swarm_process("run", README_REQUEST, "--corpus", SAMPLE_CORPUS, home=home)
    second = swarm_process("run", "What is a lease? What does a heartbeat extend?",
                           "--corpus", SAMPLE_CORPUS, home=home)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    ids = {out.splitlines()[0] for out, _ in outputs}
    assert len(ids) == 2
    for session_id in ids:
        assert (home / "blackboard" / session_id / "final" / "report.md").exists()
    assert_no_done_task_ran_again(home)


def test_detach_returns_at_once_and_watch_follows_to_the_end(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    started = swarm("run", README_REQUEST, "--corpus", SAMPLE_CORPUS, "--detach", home=home)
    assert started.returncode == 0, started.stderr
    session_id = started.stdout.strip().splitlines()[0]
    watched = swarm("watch", session_id[:5], home=home, timeout=120)
    assert watched.returncode == 0, watched.stderr
    assert watched.stdout.strip().splitlines()[-1].endswith("final/report.md")
    sessions = json.loads(swarm("sessions", "--json", home=home).stdout)
    assert [(s["id"], s["status"], s["done"] == s["total"]) for s in sessions] == [
        (session_id, "done", True)]


def test_json_output_is_one_object_per_line(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS, "--json", home=home)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["kind"] == "session"
    assert events[-1]["kind"] == "run.finished"
    assert events[-1]["exit"] == 0
    kinds = {e["kind"] for e in events}
    assert {"task.started", "task.done", "blackboard.written"} <= kinds


def test_cancel_stops_a_running_session(tmp_path: Path) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=40, seconds=0.5)
    home = tmp_path / "ws"
    run = swarm_process("run", "Slow work", "--plan", plan, "--skills-dir", skills,
                        "--corpus", SAMPLE_CORPUS, "--workers", "researcher=1", home=home)
    wait_for(lambda: log.exists())
    session_id = db_rows(home, "SELECT id FROM sessions")[0][0]
    cancelled = swarm("cancel", str(session_id), home=home)
    assert cancelled.returncode == 0, cancelled.stderr
    _, err = run.communicate(timeout=120)
    assert run.returncode == 1, err
    assert "cancelled" in err
    statuses = Counter(s for (s,) in db_rows(home, "SELECT status FROM tasks"))
    assert statuses["cancelled"] >= 1, statuses
    assert set(statuses) <= {"done", "cancelled"}, statuses
    # Nothing starts once the session is cancelled.
    (cancel_id,) = db_rows(home, "SELECT min(id) FROM messages WHERE kind = 'session.done'")[0]
    assert not db_rows(home, "SELECT id FROM messages WHERE kind = 'task.started' AND id > ?",
                       cancel_id)


def test_blackboard_shows_the_tree_and_a_file(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS, home=home)
    session_id = result.stdout.splitlines()[0]
    tree = swarm("blackboard", session_id, home=home)
    assert tree.returncode == 0
    assert "findings" in tree.stdout
    assert "report.md" in tree.stdout
    report = swarm("blackboard", session_id, "final/report.md", home=home)
    assert report.returncode == 0
    assert report.stdout.startswith("---\n")
    missing = swarm("blackboard", session_id, "final/nothing.md", home=home)
    assert missing.returncode == 2
    escape = swarm("blackboard", session_id, "../../swarm.db", home=home)
    assert escape.returncode == 2
    assert "Traceback" not in escape.stderr
