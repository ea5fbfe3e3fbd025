"""Importing a skill file in a child process first, so that the CLI survives it.

A skill file is Python run at import: it may call `os._exit`, crash the interpreter or
sleep forever. The CLI (`swarm skills`, the checks before `swarm run`) imports each file
in a short-lived child with a time limit before importing it itself; a file whose child
does not come back is a load failure naming the file and the reason, and is never
imported by the CLI. Workers import in their own process: a worker is the child there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

CHECK_TIMEOUT_S = 10.0
# Any exception at import is reported by the parent's own import (it catches them all);
# the child only has to show that importing the file ends, and ends this process well.
_CHILD = """
import sys
from pathlib import Path
from skills.loader import load_file
try:
    load_file(Path(sys.argv[1]))
except Exception:
    pass
"""


def check_in_child(path: Path, timeout_s: float = CHECK_TIMEOUT_S) -> str | None:
    """None when importing `path` in a child process ends normally within `timeout_s`;
    otherwise why not (`exited with status 42 while loading`)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path)], stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own group: a process the file starts dies with it
    try:
        code = child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    if code is None:
        return f"took longer than {timeout_s:g} s to load"
    if code < 0:
        return f"was killed by {_signal_name(-code)} while loading"
    if code != 0:
        return f"exited with status {code} while loading"
    return None


class ChildCheck:
    """`check_in_child` as a registry's `check_file`, remembering what it refused."""

    def __init__(self, timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self.refused: list[str] = []

    def __call__(self, path: Path) -> str | None:
        problem = check_in_child(path, self.timeout_s)
        if problem is not None:
            self.refused.append(f"{path}: {problem}")
        return problem


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


__all__ = ["CHECK_TIMEOUT_S", "ChildCheck", "check_in_child"]
