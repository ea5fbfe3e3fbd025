"""The workers of a session run through the real command line: which roles get workers
(those the session's tasks need, when they need them), a role left to hand-started
workers, and how workers leave when the session is cancelled."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from support.cli import README_REQUEST, SAMPLE_CORPUS, cli_env, swarm, swarm_process, write_plan
from support.sessions import db_rows, wait_for
from support.swarm_processes import HANG_S

pytestmark = pytest.mark.slow

STUCK_SKILL = """
import time

class Stuck:
    def execute(self) -> str:
        time.sleep(600)
        return "never"
"""

# A run that waited for a worker's grace period or silence limit would wait this long: a
# pass proves neither was waited for.
LONG_S = 600


def test_cancel_of_a_session_stuck_in_a_sync_skill_ends_the_run_without_killing_workers(
    tmp_path: Path,
) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "config.toml").write_text(f"grace_s = {LONG_S}\nheartbeat_timeout_s = {LONG_S}\n")
    skills = tmp_path / "skills"
    skills.mkdir()
    (skills / "stuck.py").write_text(STUCK_SKILL)
    plan = write_plan(tmp_path / "plan.toml",
                      [{"id": "stuck", "role": "researcher", "skill": "stuck"}])
    run = swarm_process("run", "Stuck work", "--plan", plan, "--skills-dir", skills,
                        "--corpus", SAMPLE_CORPUS, home=home)
    wait_for(lambda: (home / "swarm.db").exists()
             and db_rows(home, "SELECT id FROM tasks WHERE status = 'running'"),
             what="the stuck task to start")
    (session_id,) = db_rows(home, "SELECT id FROM sessions")[0]

    cancelled = swarm("cancel", str(session_id), home=home)
    _, err = run.communicate(timeout=HANG_S)

    assert cancelled.returncode == 0, cancelled.stderr
    assert run.returncode == 1, err
    assert "the session was cancelled" in err
    assert "killing it" not in err
    statuses = Counter(s for (s,) in db_rows(home, "SELECT status FROM tasks"))
    assert statuses == {"cancelled": 2}  # the stuck task and the synthesis after it
    left = "\n".join(log.read_text() for log in (home / "logs").glob("*-researcher-*.log"))
    assert "its sync skill's thread cannot be stopped" in left


GATE_SKILL = """
import time
from pathlib import Path

class Gate:
    def execute(self, gate: str) -> str:
        while not Path(gate).exists():
            time.sleep(0.05)
        return "opened"
"""


def worker_roles(home: Path) -> set[str]:
    """The role of every worker the session's supervisor ever registered."""
    return {str(role) for (role,) in db_rows(home, "SELECT DISTINCT role FROM workers")}


def test_plan_session_starts_workers_only_for_the_roles_of_its_tasks(tmp_path: Path) -> None:
    home, skills, gate = tmp_path / "ws", tmp_path / "skills", tmp_path / "gate"
    skills.mkdir()
    (skills / "gate.py").write_text(GATE_SKILL)
    plan = write_plan(tmp_path / "plan.toml", [
        {"id": "scan", "role": "researcher", "skill": "gate", "input": {"gate": str(gate)}}])
    run = swarm_process("run", "One scan", "--plan", plan, "--skills-dir", skills,
                        "--corpus", SAMPLE_CORPUS, home=home)
    try:
        # The scan runs, and the synthesis after it waits: both roles have work.
        wait_for(lambda: (home / "swarm.db").exists() and sorted(
            role for (role,) in db_rows(home, "SELECT role FROM workers")) == [
            "coordinator", "researcher", "researcher"] and db_rows(
            home, "SELECT id FROM tasks WHERE status = 'running'"), what="the workers")
        live = json.loads(swarm("workers", "--json", home=home).stdout)
        gate.touch()
        _, err = run.communicate(timeout=HANG_S)
    finally:
        gate.touch()
        if run.poll() is None:
            run.kill()
            run.wait()

    assert run.returncode == 0, err
    assert sorted(w["role"] for w in live) == ["coordinator", "researcher", "researcher"]
    assert worker_roles(home) == {"researcher", "coordinator"}


def test_planner_session_starts_the_planner_then_the_roles_its_plan_enqueued(
    tmp_path: Path,
) -> None:
    home = tmp_path / "ws"
    result = swarm("run", README_REQUEST, "--corpus", SAMPLE_CORPUS, home=home)

    assert result.returncode == 0, result.stderr
    planned = {str(r) for (r,) in db_rows(home, "SELECT DISTINCT role FROM tasks")}
    assert worker_roles(home) == planned
    assert planned > {"planner", "coordinator"}
    # Every other role's workers started after the planner enqueued that role's tasks.
    ((enqueued,),) = db_rows(home, "SELECT min(created_at) FROM tasks WHERE role != 'planner'")
    ((started,),) = db_rows(home, "SELECT min(started_at) FROM workers WHERE role != 'planner'")
    assert float(str(started)) >= float(str(enqueued))


def test_role_without_workers_is_planned_and_waits_for_a_hand_started_worker(
    tmp_path: Path,
) -> None:
    home = tmp_path / "ws"
    plan = write_plan(tmp_path / "plan.toml",
                      [{"id": "weigh", "role": "analyst", "skill": "noop"}])
    run = swarm_process("run", "Weigh it", "--plan", plan, "--workers", "analyst=0",
                        "--corpus", SAMPLE_CORPUS, home=home)
    hand: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: (home / "swarm.db").exists() and "coordinator" in worker_roles(home),
                 what="the session's workers")
        assert db_rows(home, "SELECT status FROM tasks WHERE key = 'weigh'") == [("queued",)]
        with open(tmp_path / "analyst.log", "wb") as log:
            hand = subprocess.Popen(
                [sys.executable, "-m", "worker", "--role", "analyst", "--home", str(home)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=cli_env())
        _, err = run.communicate(timeout=HANG_S)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        if hand is not None:
            hand.send_signal(signal.SIGTERM)
            hand.wait(timeout=HANG_S)

    assert run.returncode == 0, err
    assert (f"no worker for role 'analyst': start one with: python -m worker --role analyst "
            f"--home {home}") in err
    ((owner,),) = db_rows(home, "SELECT json_extract(m.body, '$.worker') FROM tasks t "
                                "JOIN messages m ON m.kind = 'task.started' AND "
                                "json_extract(m.body, '$.task_id') = t.id WHERE t.key = 'weigh'")
    assert str(owner).startswith("analyst-")  # the hand-started worker's id
    assert worker_roles(home) == {"coordinator", "analyst"}
