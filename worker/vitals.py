"""What a worker knows and does about its own process: memory in use, whether it is
orphaned, a kernel deadline for a blocked process, and its skills' leftover children."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import os
import resource
import signal
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def rss_mb() -> float:
    """Resident memory of this process in MiB."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        # Peak, not current, where /proc is missing: errs toward recycling early.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def rss_mb_of(pid: int) -> float | None:
    """Resident memory of another process of this host in MiB; None once it is gone or
    where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def signal_me_when_parent_dies(signum: int = signal.SIGHUP) -> bool:
    """Ask Linux to send `signum` when the parent dies; False where that is not offered."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        logger.debug("prctl(PR_SET_PDEATHSIG) unavailable", exc_info=True)
        return False


def parent_is_gone(parent_pid: int | None) -> bool:
    """True once the process that started us has died (we were re-parented)."""
    return parent_pid is not None and os.getppid() != parent_pid


def end_me_if_blocked_for(seconds: float) -> None:
    """Ask the kernel for SIGALRM in `seconds`, replacing the last request: SIGALRM's
    default action ends the process, which needs no Python code to run. A skill holding
    the GIL (or any code blocking the event loop) cannot keep an orphan alive this way."""
    signal.alarm(max(1, math.ceil(seconds)))


def kill_rest_of_my_group() -> list[int]:
    """SIGKILL every other process of this worker's process group (a skill's children,
    which may ignore SIGTERM), when the worker leads the group; returns their pids.

    A worker started by hand from a shell shares the shell's group: nothing is killed then.
    """
    me = os.getpid()
    if os.getpgrp() != me:
        return []
    killed: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
            # The group follows the state, after the command name in parentheses.
            group = int(stat.rsplit(")", 1)[1].split()[2])
        except (OSError, ValueError, IndexError):
            continue
        if group == me:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    return killed
