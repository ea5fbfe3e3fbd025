"""A task whose role has no worker does not hang the session: `run` shows that it waits
for a worker of that role, fails it with the reason once `worker_wait_s` has passed, and
ends with the report and the failed task named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, swarm, write_plan
from support.sessions import db_rows
from support.swarm_processes import write_skill

# Enqueues a follow-up for a role nothing serves, and one for a role no worker can have.
ENQUEUES_A_GHOST = """
    from taskqueue import SwarmError

    class Haunt:
        async def execute(self, ctx):
            try:
                await ctx.enqueue(role=" ", skill="haunt")
            except SwarmError as exc:
                refused = str(exc)
            await ctx.enqueue(role="ghost", skill="haunt", title="Haunt again")
            return refused
"""


@pytest.mark.slow
@pytest.mark.parametrize("unserved", ["--workers researcher=0", "ctx.enqueue(role='ghost')"])
def test_task_of_a_role_without_workers_fails_after_the_wait_and_the_session_ends(
    tmp_path: Path, unserved: str,
) -> None:
    home, skills = tmp_path / "ws", tmp_path / "skills"
    write_skill(skills, "haunt", ENQUEUES_A_GHOST)
    home.mkdir()
    (home / "config.toml").write_text("worker_wait_s = 1.0\n", encoding="utf-8")
    if unserved.startswith("--workers"):
        role, task = "researcher", {"id": "scan", "role": "researcher", "skill": "research",
                                    "input": {"question": "leases"}}
        extra = ["--workers", "researcher=0"]
    else:
        role, task = "ghost", {"id": "haunt", "role": "analyst", "skill": "haunt"}
        extra = []
    plan = write_plan(tmp_path / "plan.toml", [task])

    result = swarm("run", "Wait for a worker", "--plan", plan, "--skills-dir", skills,
                   "--corpus", SAMPLE_CORPUS, *extra, home=home, timeout=150)

    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"waiting for a worker of role '{role}': start one with: python -m worker " \
           f"--role {role}" in result.stdout
    assert "report written, but some tasks did not finish: #" in result.stderr
    assert f" {role}/" in result.stderr
    assert list(home.glob("blackboard/*/final/report.md"))
    errors = [str(e) for (e,) in db_rows(home, "SELECT error FROM tasks WHERE role = ?", role)]
    assert errors == [f"no worker of role '{role}' came within worker_wait_s = 1 s (start one "
                      f"with: python -m worker --role {role} --home {home})"]
    assert db_rows(home, "SELECT status FROM sessions") == [("failed",)]
    if role == "ghost":
        [(session_id, result_json)] = db_rows(
            home, "SELECT session_id, result FROM tasks WHERE role = 'analyst'")
        output = json.loads(str(result_json))["data"]["output"]
        written = (home / "blackboard" / str(session_id) / output).read_text()
        assert "ctx.enqueue: role ' ' is refused: use a word, e.g. researcher" in written


@pytest.mark.slow
def test_task_still_without_a_worker_at_the_sessions_timeout_fails_with_that_reason(
    tmp_path: Path,
) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    # The configured wait is far off: only the session's own timeout ends it.
    (home / "config.toml").write_text("worker_wait_s = 600.0\n", encoding="utf-8")
    plan = write_plan(tmp_path / "plan.toml", [
        {"id": "scan", "role": "researcher", "skill": "research",
         "input": {"question": "leases"}}])

    result = swarm("run", "Wait for a worker", "--plan", plan, "--corpus", SAMPLE_CORPUS,
                   "--workers", "researcher=0", "--timeout", "2", home=home, timeout=150)

    # Timed out (3); or, when the synthesis ran on what there was within the workers'
    # grace period, finished with the failed task named (1).
    assert result.returncode in (1, 3), (result.stdout, result.stderr)
    errors = [str(e) for (e,) in db_rows(
        home, "SELECT error FROM tasks WHERE role = 'researcher'")]
    assert errors == ["no worker of role 'researcher' came before the session's timeout "
                      f"(2 s; start one with: python -m worker --role researcher --home {home})"]
