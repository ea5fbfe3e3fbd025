"""Per-role interpreters: `[roles.NAME] python = "/path/to/venv/bin/python"` runs that
role's workers under another Python (skills with dependencies of their own), which must
have swarm installed. Checked when a session starts, so that a bad one is one line then,
not a crash loop later."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from orchestrator.supervisor_config import RoleWorkers
from taskqueue import SwarmError

__all__ = ["check_role_pythons"]

# What a worker imports first: if these import, `python -m worker` can start.
_PROBE = "import worker.cli, skills, taskqueue"
PROBE_TIMEOUT_S = 60.0


def check_role_pythons(roles: Mapping[str, RoleWorkers], source: Path) -> None:
    """Raise `SwarmError` naming the file, key and reason for an interpreter that cannot
    run swarm's workers."""
    for name, role in roles.items():
        if role.python is None or role.workers == 0:
            continue
        problem = _cannot_run(role.python)
        if problem:
            raise SwarmError(f"{source}: roles.{name}.python: {role.python} {problem}")


def _cannot_run(python: Path) -> str | None:
    try:
        probe = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True,
                               timeout=PROBE_TIMEOUT_S, check=False)
    except FileNotFoundError:
        return "does not exist"
    except PermissionError:
        return "is not executable"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot be run ({exc})"
    if probe.returncode != 0:
        said = probe.stderr.strip().splitlines()
        return f"cannot import swarm ({said[-1] if said else f'exit {probe.returncode}'})"
    return None
