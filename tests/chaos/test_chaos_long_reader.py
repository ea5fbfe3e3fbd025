"""A long-running reader holds the database open in a read transaction (the `sqlite3`
command line, as a person inspecting a workspace would) while a session runs: the work
goes on and finishes, and the reader still sees its snapshot."""

from __future__ import annotations

import asyncio
import select
import shutil
import subprocess
from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, swarm_process
from support.sessions import assert_finished_once, slow_plan
from taskqueue import SqliteStore

pytestmark = pytest.mark.slow

TASKS = 80


class Reader:
    """`sqlite3 DB` fed statements on its standard input, one answer line each."""

    def __init__(self, db: Path) -> None:
        executable = shutil.which("sqlite3")
        if executable is None:
            pytest.skip("the sqlite3 command line is not installed (.ci/run installs it)")
        self.process = subprocess.Popen(
            [executable, "-batch", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, sql: str, timeout: float = 60.0) -> str:
        assert self.process.stdin
        assert self.process.stdout
        self.process.stdin.write(sql + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        assert ready, f"sqlite3 did not answer {sql!r}"
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate()


# Generous: a passing run takes a fraction of this even on a loaded machine.
@pytest.mark.timeout(300)
def test_work_goes_on_while_a_reader_holds_a_read_transaction_open(tmp_path: Path) -> None:
    plan, skills, log = slow_plan(tmp_path, tasks=TASKS, seconds=0.05)
    home = tmp_path / "ws"
    home.mkdir()
    # The workspace exists before the session: the reader's snapshot predates it.
    asyncio.run(_create_database(home / "swarm.db"))
    reader = Reader(home / "swarm.db")
    try:
        # The first read of a deferred transaction takes its snapshot and holds it.
        assert reader.ask("BEGIN; SELECT count(*) FROM sessions;") == "0"
        run = swarm_process("run", "Slow work", "--plan", plan, "--skills-dir", skills,
                            "--corpus", SAMPLE_CORPUS, "--workers", "researcher=3", home=home)
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        # Still inside its transaction all along: the reader sees the database as it was.
        assert reader.ask("SELECT count(*) FROM sessions;") == "0"
        assert reader.ask("COMMIT; SELECT count(*) FROM tasks WHERE status = 'done';") == str(
            TASKS + 1)
    finally:
        reader.close()
    assert_finished_once(home, out.splitlines()[0], log, TASKS)


async def _create_database(path: Path) -> None:
    store = await SqliteStore.open(path, sender="test")
    await store.close()
