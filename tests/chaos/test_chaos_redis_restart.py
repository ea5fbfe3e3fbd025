"""`redis-server` SIGKILLed in the middle of a session and started again from its
append-only file (`appendfsync always`, as docs/design.md asks): the session finishes,
and no task recorded done runs again.

Either the orchestrator rides the outage out (its lost connections retried, with a
warning line) and finishes, or it is killed too while the server is down and
`swarm resume` finishes the session.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.pids import pid_alive
from support.cli import SAMPLE_CORPUS, swarm, swarm_process
from support.redis_server import DurableRedisServer, skip_without_redis_server
from support.sessions import executions, slow_plan, wait_for
from support.store_probe import StoreProbe, assert_finished_once

pytestmark = pytest.mark.slow

TASKS = 30
# Long enough that every process meets the outage; well under the 30 s reconnect limit.
OUTAGE_S = 1.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DurableRedisServer]:
    skip_without_redis_server()
    folder = tmp_path / "redis"
    folder.mkdir()
    server = DurableRedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    return process.communicate(timeout=60)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("orchestrator", ["rides the outage out", "is killed too"])
def test_redis_sigkilled_and_restarted_from_its_file_loses_and_redoes_nothing(
    tmp_path: Path, server: DurableRedisServer, orchestrator: str,
) -> None:
    probe = StoreProbe(server.url)
    plan, skills, log = slow_plan(tmp_path, tasks=TASKS, seconds=0.15)
    home = tmp_path / "ws"
    run = swarm_process("--store", server.url, "run", "Slow work", "--plan", plan,
                        "--skills-dir", skills, "--corpus", SAMPLE_CORPUS,
                        "--workers", "researcher=3", home=home)
    try:
        wait_for(lambda: probe.done_count() >= TASKS // 3, what=f"{TASKS // 3} done")
        workers = probe.worker_pids()
        server.kill()
        time.sleep(OUTAGE_S)  # the outage every process must ride out; nothing is timed
        if orchestrator == "is killed too":
            _stop(run)
            assert run.returncode == -signal.SIGKILL
        server.start()
        if orchestrator == "is killed too":
            # Its workers notice the supervisor is gone and leave.
            wait_for(lambda: not any(pid_alive(pid) for pid in workers), what="workers exit")
        done, counted = probe.done_slow_numbers(), executions(log)
        assert len(done) < TASKS, "the session finished before the kill"

        if orchestrator == "is killed too":
            session_id = probe.session_id()
            assert session_id is not None
            finished = swarm("--store", server.url, "resume", session_id, home=home,
                             timeout=300)
            returncode, stderr = finished.returncode, finished.stderr
        else:
            _, stderr = run.communicate(timeout=300)
            returncode = run.returncode
            assert "connection lost" in stderr, "the outage was not shown"
    finally:
        _stop(run)

    assert returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert_finished_once(probe, home, log, TASKS)
    final = executions(log)
    for n in done:
        assert final[n] == counted[n], f"task t{n} ran again after it was done"
