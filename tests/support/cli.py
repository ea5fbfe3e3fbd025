"""Running the real command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from support import toml_text

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CORPUS = REPO / "corpus"
README_REQUEST = (
    "How do task queues survive worker crashes? Compare retries with backoff and leases; "
    "and what should a dead-letter queue hold?"
)


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWARM_")}
    env.update(extra)
    return env


def swarm(
    *args: str | Path, home: Path, cwd: Path | None = None, timeout: float = 120,
    input_text: str | None = None, env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m orchestrator ARGS --home HOME`, its output captured as text; `env`
    adds variables (`SWARM_LLM_*`) to the clean environment."""
    argv = [sys.executable, "-m", "orchestrator", *map(str, args)]
    if args and args[0] not in ("--help",):
        argv += ["--home", str(home)]
    return subprocess.run(
        argv, cwd=cwd or _existing_parent(home), env=cli_env(**(env or {})), capture_output=True,
        text=True, timeout=timeout, input=input_text,
    )


def swarm_process(*args: str | Path, home: Path, cwd: Path | None = None) -> subprocess.Popen[str]:
    """The same, started in the background (for signals)."""
    argv = [sys.executable, "-m", "orchestrator", *map(str, args), "--home", str(home)]
    return subprocess.Popen(
        argv, cwd=cwd or _existing_parent(home), env=cli_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )


def _existing_parent(path: Path) -> Path:
    parent = path.parent
    while not parent.is_dir():
        parent = parent.parent
    return parent


def assert_clean_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, one line on stderr naming what and why, and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "no error message"
    message = "\n".join(lines)
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def write_plan(path: Path, tasks: list[dict[str, Any]]) -> Path:
    """A plan file (`--plan`) holding `tasks`, each a `[[tasks]]` table."""
    path.write_text(toml_text.document({"tasks": tasks}), encoding="utf-8")
    return path
