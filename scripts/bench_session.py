"""Whole sessions through the real command line: how soon work starts, how long the
README example takes, beside the bare cost of starting the command."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from _bench_util import BenchFailed

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
README_REQUEST = (
    "How do task queues survive worker crashes? Compare retries with backoff and leases; "
    "and what should a dead-letter queue hold?"
)


def cli_import_ms() -> float:
    """A fresh interpreter importing the command line: the floor under first_claim_ms."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import orchestrator.cli"], check=True,
                   timeout=60)
    return (time.perf_counter() - started) * 1000


def readme_session(tmp: Path) -> dict[str, float]:
    """`run` on the README example in a new workspace (its corpus index built too):
    `first_claim_ms` from the command's start to the first task.started on the bus, and
    `readme_example_s` for the whole run."""
    home = tmp / f"session-{time.monotonic_ns()}"
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "orchestrator", "run", README_REQUEST, "--corpus", str(CORPUS),
         "--home", str(home)],
        capture_output=True, text=True, timeout=300, cwd=tmp,
    )
    wall = time.time() - started
    if result.returncode != 0:
        raise BenchFailed(f"the README example exited {result.returncode}: {result.stderr}")
    with sqlite3.connect(home / "swarm.db") as db:
        (first,) = db.execute(
            "SELECT min(time) FROM messages WHERE kind = 'task.started'").fetchone()
    return {"first_claim_ms": (first - started) * 1000, "readme_example_s": wall,
            "cli_import_ms": cli_import_ms()}
