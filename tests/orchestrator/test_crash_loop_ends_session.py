"""A role whose workers die at start (a skill file that exits at import in a worker) ends
the session with the reason, instead of restarting them forever."""

from __future__ import annotations

from pathlib import Path

from support.cli import swarm
from support.swarm_processes import write_skill

# Loads in the command line (and its check), then exits in every worker (`python -m
# worker`): as a file that behaves differently in a worker's environment would.
EXITS_IN_WORKERS = """
    import os
    import sys

    if os.path.basename(os.path.dirname(sys.argv[0])) == "worker":
        os._exit(3)
"""


def test_workers_that_keep_crashing_fail_their_tasks_and_end_the_run(tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    boom = write_skill(skills, "boom", EXITS_IN_WORKERS)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "leases.md").write_text("A lease expires.\n", encoding="utf-8")

    result = swarm("run", "How do leases expire?", "--skills-dir", skills,
                   "--corpus", tmp_path / "corpus", home=tmp_path / "ws", timeout=150)

    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert ("no report was written: the synthesis did not run; #1 planner/plan (failed): "
            "workers of role 'planner' keep crashing: worker planner.0-") in result.stderr
    assert "exited with status 3" in result.stderr
    assert boom.exists()
