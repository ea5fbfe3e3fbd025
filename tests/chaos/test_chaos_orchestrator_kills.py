"""The orchestrator (`swarm run`, then `swarm resume`) SIGKILLed three times during one
session and resumed each time: the session finishes, and no completed task runs again.
On each backend (tests/chaos/conftest.py), the same size; the store is read through
`StoreProbe`, so both are checked alike."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from orchestrator.pids import pid_alive
from support.cli import SAMPLE_CORPUS, swarm, swarm_process
from support.sessions import executions, slow_plan, wait_for
from support.store_probe import StoreProbe, assert_finished_once
from taskqueue import default_store_url

pytestmark = pytest.mark.slow

TASKS = 40
KILLS = 3


# Generous: a passing run takes a fraction of this even on a loaded machine.
@pytest.mark.timeout(300)
def test_orchestrator_sigkilled_three_times_resumes_to_the_end_without_redoing_work(
    tmp_path: Path, backend_url: str | None,
) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=TASKS, seconds=0.15)
    home = tmp_path / "ws"
    probe = StoreProbe(backend_url or default_store_url(home))
    store: tuple[str, ...] = ("--store", backend_url) if backend_url else ()
    argv: tuple[str | Path, ...] = (
        *store, "run", "Slow work", "--plan", plan, "--skills-dir", skills, "--corpus",
        SAMPLE_CORPUS, "--workers", "researcher=3")
    snapshots = []
    for kill in range(1, KILLS + 1):
        orchestrator = swarm_process(*argv, home=home)
        # Each life of the orchestrator gets some work done, then is killed mid-session.
        target = kill * TASKS // (KILLS + 1)
        wait_for(lambda target=target: probe.done_count() >= target, what=f"{target} done")
        orchestrator.send_signal(signal.SIGKILL)
        orchestrator.communicate(timeout=60)
        assert orchestrator.returncode == -signal.SIGKILL
        # Its workers notice the supervisor is gone and leave.
        workers = probe.worker_pids()
        wait_for(lambda workers=workers: not any(pid_alive(pid) for pid in workers),
                 what=f"workers {workers} to exit")
        done = probe.done_slow_numbers()
        assert len(done) < TASKS, "the session finished before the kill"
        snapshots.append((done, executions(log)))
        argv = (*store, "resume", str(probe.session_id()))

    resumed = swarm(*argv, home=home, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    assert_finished_once(probe, home, log, TASKS)
    final = executions(log)
    for done, counted in snapshots:
        for n in done:
            assert final[n] == counted[n], f"task t{n} ran again after it was done"
