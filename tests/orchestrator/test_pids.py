"""pid_alive: what `resume` uses to release the leases of workers that are gone."""

from __future__ import annotations

import os
import subprocess
import sys

from orchestrator.pids import pid_alive


def test_a_running_process_is_alive() -> None:
    assert pid_alive(os.getpid())


def test_a_process_that_exited_is_gone_even_before_its_parent_reaps_it() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        # Wait for the exit without reaping: the child stays a zombie meanwhile.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)

        assert not pid_alive(child.pid)
    finally:
        child.wait()
    assert not pid_alive(child.pid)
