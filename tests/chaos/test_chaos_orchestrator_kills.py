"""The orchestrator (`swarm run`, then `swarm resume`) SIGKILLed three times during one
session and resumed each time: the session finishes, and no completed task runs again."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, swarm, swarm_process
from support.sessions import (
    assert_finished_once,
    db_rows,
    done_count,
    executions,
    slow_plan,
    wait_for,
    wait_for_workers_to_exit,
)

pytestmark = pytest.mark.slow

TASKS = 40
KILLS = 3


# Generous: a passing run takes a fraction of this even on a loaded machine.
@pytest.mark.timeout(300)
def test_orchestrator_sigkilled_three_times_resumes_to_the_end_without_redoing_work(
    tmp_path: Path,
) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=TASKS, seconds=0.15)
    home = tmp_path / "ws"
    argv: tuple[str | Path, ...] = (
        "run", "Slow work", "--plan", plan, "--skills-dir", skills, "--corpus",
        SAMPLE_CORPUS, "--workers", "researcher=3")
    snapshots = []
    for kill in range(1, KILLS + 1):
        orchestrator = swarm_process(*argv, home=home)
        # Each life of the orchestrator gets some work done, then is killed mid-session.
        target = kill * TASKS // (KILLS + 1)
        wait_for(lambda target=target: done_count(home) >= target, what=f"{target} done")
        orchestrator.send_signal(signal.SIGKILL)
        orchestrator.communicate(timeout=60)
        assert orchestrator.returncode == -signal.SIGKILL
        # Its workers notice the supervisor is gone and leave.
        wait_for_workers_to_exit(home)
        done = {str(key)[1:] for (key,) in db_rows(
            home, "SELECT key FROM tasks WHERE status = 'done' AND skill = 'slow'")}
        assert len(done) < TASKS, "the session finished before the kill"
        snapshots.append((done, executions(log)))
        (session_id,) = db_rows(home, "SELECT id FROM sessions")[0]
        argv = ("resume", str(session_id))

    resumed = swarm(*argv, home=home, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    assert_finished_once(home, str(session_id), log, TASKS)
    final = executions(log)
    for done, counted in snapshots:
        for n in done:
            assert final[n] == counted[n], f"task t{n} ran again after it was done"
