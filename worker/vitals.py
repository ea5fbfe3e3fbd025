"""What a worker knows about its own process: memory in use, and whether it is orphaned."""

from __future__ import annotations

import ctypes
import logging
import os
import resource
import signal
import sys

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
