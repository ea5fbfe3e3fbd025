"""Sessions through the real command line: the README example, interruption and resume,
concurrent runs, detaching, watching, cancelling."""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path

import pytest

from support.cli import README_REQUEST, SAMPLE_CORPUS, swarm, swarm_process
from support.sessions import (
    assert_finished_once,
    assert_no_done_task_ran_again,
    db_rows,
    executions,
    slow_plan,
    wait_for,
)

pytestmark = pytest.mark.slow

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
    plan, skills, log = slow_plan(tmp_path, tasks=8, max_attempts=None)
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
    assert_finished_once(home, str(session_id), log, 8)
    ran = executions(log)
    for key in done_before:
        assert ran[str(key)[1:]] == 1, (key, ran)


def test_sigint_exits_130_and_the_session_resumes(tmp_path: Path) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=6, max_attempts=None)
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
    plan, skills, log = slow_plan(tmp_path, tasks=40, seconds=0.5, max_attempts=None)
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
