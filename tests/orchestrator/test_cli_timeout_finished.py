"""A session whose last task finishes in the grace period after `--timeout` is finished:
exit 0 with the report, recorded `done`, not `timed out` and left `running`."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.cli import swarm, write_plan
from support.sessions import db_rows
from support.swarm_processes import write_skill

# Writes the report once its worker has been told to stop, that is once the deadline
# has passed: the race of a session that ends right at its deadline, made certain.
REPORT_AT_THE_DEADLINE = """
    import asyncio
    import sqlite3

    class ReportAtTheDeadline:
        async def execute(self, ctx):
            while True:
                with sqlite3.connect(ctx.input["db"], timeout=30) as conn:
                    stopping = conn.execute(
                        "SELECT 1 FROM workers WHERE status = 'stopping'").fetchall()
                if stopping:
                    break
                await asyncio.sleep(0.05)
            ctx.blackboard.write("final/report.md", "# Report\\n")
"""


@pytest.mark.slow
def test_session_that_finishes_in_the_grace_after_its_timeout_is_done(tmp_path: Path) -> None:
    home, skills = tmp_path / "ws", tmp_path / "skills"
    write_skill(skills, "report_at_the_deadline", REPORT_AT_THE_DEADLINE)
    home.mkdir()
    (home / "config.toml").write_text("grace_s = 120.0\n", encoding="utf-8")
    plan = write_plan(tmp_path / "plan.toml", [
        {"id": "report", "role": "coordinator", "skill": "report_at_the_deadline",
         "input": {"db": str(home / "swarm.db")}}])

    # The timeout only has to pass after the worker has claimed the task.
    result = swarm("run", "Report at the deadline", "--plan", plan, "--skills-dir", skills,
                   "--corpus", tmp_path, "--timeout", "8", home=home, timeout=150)

    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "report written (1 tasks done)" in result.stderr + result.stdout
    assert "timed out" not in result.stderr
    assert db_rows(home, "SELECT status FROM sessions") == [("done",)]
