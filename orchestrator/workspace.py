"""The workspace directory (`--home`, else $SWARM_HOME, else ./.swarm) and what is in it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from blackboard import FINAL_REPORT, Blackboard
from orchestrator.config import SwarmConfig, load_config, store_in_config_file
from orchestrator.requests import is_utf8, shown
from taskqueue import (
    Store,
    SwarmError,
    default_store_url,
    is_workspace,
    open_store,
    queue_path,
)
from taskqueue.opening import sqlite_path

STORE_ENV = "SWARM_STORE"


class WorkspaceError(SwarmError):
    """The workspace directory cannot be used."""


def resolve_home(option: Path | None) -> Path:
    home = option or Path(os.environ.get("SWARM_HOME") or ".swarm")
    if not is_utf8(str(home)):
        # Such a path could be created, but no message or file could name it.
        raise WorkspaceError(f"workspace {shown(str(home))} is not UTF-8 text")
    return home.expanduser().absolute()


class Workspace:
    """Paths inside one workspace, and opening its database."""

    def __init__(self, home: Path) -> None:
        self.home = home

    @property
    def db_path(self) -> Path:
        return queue_path(self.home)

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def config(self) -> SwarmConfig:
        return load_config(self.home)

    def configured_store(self) -> str | None:
        """The store's URL as chosen (`swarm --store`, $SWARM_STORE, config `store`), or
        None for the default, the workspace's SQLite file."""
        return os.environ.get(STORE_ENV) or store_in_config_file(self.home)

    @property
    def store_url(self) -> str:
        return self.configured_store() or default_store_url(self.home)

    @property
    def board_through_store(self) -> bool:
        """Whether the blackboard travels through the store: it does unless the store is
        this workspace's own SQLite file, which only workers on this disk can reach."""
        return sqlite_path(self.store_url) != self.db_path

    def exists(self) -> bool:
        if sqlite_path(self.store_url) is None:
            return self.home.is_dir()  # the queue lives in the engine; here the blackboard
        return is_workspace(self.home)

    def ensure_writable(self) -> None:
        """Create the workspace, or say why it cannot be written."""
        if self.home.exists() and not self.home.is_dir():
            raise WorkspaceError(f"workspace {self.home} is a file, not a directory")
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            probe = self.home / f".write-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise WorkspaceError(
                f"workspace {self.home} cannot be written ({exc.strerror or exc})"
            ) from exc

    async def open_store(self, sender: str = "orchestrator") -> Store:
        """The workspace's store; a SQLite one read-only when this process cannot write
        the workspace (a read-only copy): the commands that only read still work."""
        return await open_store(self.store_url, sender=sender,
                                read_only=not self.store_writable())

    def store_writable(self) -> bool:
        """Whether the database (or, before it exists, its folder) can be written, with
        the folder that must hold its -wal and -shm files."""
        folder = self.db_path.parent
        if not folder.exists():
            return True  # created on open, or refused there with the reason
        writable = os.access(folder, os.W_OK | os.X_OK)
        if self.db_path.exists():
            writable = writable and os.access(self.db_path, os.W_OK)
        return writable

    def board(self, session_id: str) -> Blackboard:
        return Blackboard(self.home / "blackboard", session_id)

    def index_path(self, corpus: Path) -> Path:
        """Where the search index of a corpus directory lives (one per corpus)."""
        digest = hashlib.sha1(str(corpus.resolve()).encode()).hexdigest()[:12]
        return self.home / "index" / f"corpus-{digest}.db"

    def report_path(self, session_id: str) -> Path:
        return self.home / "blackboard" / session_id / FINAL_REPORT
