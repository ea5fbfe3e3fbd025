"""Where a workspace keeps its queue: the one file whose presence makes a directory a
swarm workspace (`swarm run` creates it; a worker or a command only opens it)."""

from __future__ import annotations

from pathlib import Path

QUEUE_FILE = "swarm.db"


def queue_path(home: Path) -> Path:
    """The queue database of the workspace at `home`."""
    return home / QUEUE_FILE


def is_workspace(home: Path) -> bool:
    """Whether `home` is a swarm workspace: its queue database exists."""
    return queue_path(home).exists()
