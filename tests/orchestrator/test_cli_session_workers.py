"""The workers of a session run through the real command line: how they leave when the
session is cancelled."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, swarm, swarm_process, write_plan
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
