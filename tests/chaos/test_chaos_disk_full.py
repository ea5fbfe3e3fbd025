"""The disk filling up under a session, on a small file system of the test's own: the
session stops cleanly with a message naming the full disk, and once space is back
`swarm resume` finishes it."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
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

DISK_MB = 16
TASKS = 60


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of DISK_MB MiB mounted on a directory of the test's own."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0755", "tmpfs", str(mount_point)],
        capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        # Lazily: a straggling process with a file open there must not fail the test.
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(path: Path) -> int:
    """Write `path` until the file system is full; returns the bytes written."""
    written = 0
    with open(path, "wb", buffering=0) as filler:
        for chunk in (1 << 20, 1 << 12, 1):
            block = b"\0" * chunk
            with contextlib.suppress(OSError):
                while True:
                    try:
                        written += filler.write(block)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
    return written


# Generous: a passing run takes a fraction of this even on a loaded machine.
@pytest.mark.timeout(300)
def test_disk_full_stops_the_session_cleanly_and_resume_finishes_it(
    tmp_path: Path, small_disk: Path
) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=TASKS, seconds=0.1)
    home = small_disk / "ws"
    run = swarm_process("run", "Slow work", "--plan", plan, "--skills-dir", skills,
                        "--corpus", SAMPLE_CORPUS, "--workers", "researcher=2", home=home)
    try:
        wait_for(lambda: done_count(home) >= 5, what="5 tasks done")
        filler = small_disk / "filler"
        assert fill(filler) > 0
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 2, (run.returncode, out, err)
    assert "Traceback" not in err, err
    assert "disk is full" in err, err
    assert "swarm resume" in err, err
    wait_for_workers_to_exit(home)
    (session_id,) = db_rows(home, "SELECT id FROM sessions")[0]
    assert done_count(home) < TASKS + 1, "the session finished on a full disk"
    done_before = executions(log)

    filler.unlink()
    resumed = swarm("resume", str(session_id), home=home, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert done_before
    assert_finished_once(home, str(session_id), log, TASKS)
