"""Ctrl-C at any moment of start-up, and the live display on a real terminal."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.cli import README_REQUEST, SAMPLE_CORPUS, cli_env, swarm, swarm_process

pytestmark = pytest.mark.slow


# Not earlier than 0.5 s: a signal within CPython's own initialisation, before any of our
# code runs, ends in CPython's fatal error, which no program can catch.
@pytest.mark.parametrize("delay_s", [0.5, 0.8, 1.1, 1.5])
def test_ctrl_c_during_start_up_leaves_nothing_half_created(
    tmp_path: Path, delay_s: float
) -> None:
    home = tmp_path / "ws"
    run = swarm_process("run", README_REQUEST, "--corpus", SAMPLE_CORPUS, home=home)
    time.sleep(delay_s)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    # A run that has already finished may take the signal while the interpreter shuts
    # down, when Python's own handler is gone: then the session must be done, reported.
    finished_before_the_signal = (run.returncode == -signal.SIGINT
                                  and list(home.glob("blackboard/*/final/report.md")))
    assert run.returncode in (0, 130) or finished_before_the_signal, (run.returncode, err)
    assert "Traceback" not in err
    if not (home / "swarm.db").exists():
        return
    # Through the CLI: a database cut off before its schema was written is migrated.
    listed = swarm("sessions", "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    sessions = [s["id"] for s in json.loads(listed.stdout)]
    assert len(sessions) <= 1
    for session_id in sessions:
        # Whatever start-up got to, the session is whole: resume finishes it.
        resumed = swarm("resume", session_id, home=home, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        assert (home / "blackboard" / session_id / "final" / "report.md").exists()


def test_run_on_a_terminal_redraws_a_live_block(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "run", "What is a lease?", "--corpus",
         str(SAMPLE_CORPUS), "--home", str(home)],
        stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary, env=cli_env(),
        cwd=tmp_path,
    )
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break  # the terminal closed: the process is gone
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=30) == 0
    screen = b"".join(chunks).decode(errors="replace")
    assert "\x1b[J" in screen  # the block is redrawn in place
    assert "researcher" in screen
    assert "done" in screen
    assert screen.rstrip().endswith("final/report.md")
