"""Whether a process id is a live process of this host, and whether a registered worker
still is."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from taskqueue import WorkerInfo


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs. A zombie (exited, not yet reaped by its parent) counts as gone:
    it holds no lease it can still finish. Where /proc cannot tell, signal 0 decides."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return True
    # The state follows the command name, which is in parentheses and may hold spaces.
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def worker_is_gone(worker: WorkerInfo, host: str | None = None) -> bool:
    """A worker registered as live whose process, on this host, no longer runs: it died
    without saying so (SIGKILL, power loss), and no supervisor or resume has noticed yet."""
    return worker.host == (host or socket.gethostname()) and not pid_alive(worker.pid)


def worker_is_silent(worker: WorkerInfo, now: float, heartbeat_timeout_s: float) -> bool:
    """A worker that sent no heartbeat for longer than the supervisor tolerates: hung,
    or gone on another host."""
    return now - worker.heartbeat_at > heartbeat_timeout_s
