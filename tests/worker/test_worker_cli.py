"""`python -m worker` started by hand, as a person would type it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.cli import assert_clean_error, cli_env


def test_a_worker_refuses_a_home_that_is_no_workspace_and_creates_nothing(
    tmp_path: Path,
) -> None:
    typo = tmp_path / "typo"
    # A worker that took the typo for a new workspace would serve it until killed.
    result = subprocess.run(
        [sys.executable, "-m", "worker", "--role", "researcher", "--home", str(typo)],
        env=cli_env(), capture_output=True, text=True, timeout=60)
    assert_clean_error(result, f"no swarm workspace at {typo}")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not typo.exists()
