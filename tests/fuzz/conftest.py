"""One workspace per fuzz module, with its database and a one-file corpus."""

from __future__ import annotations

import asyncio

import pytest

from orchestrator.workspace import Workspace
from support.fuzzing import create_database


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace with its database, and a one-file corpus, shared by a module's cases."""
    root = tmp_path_factory.mktemp("fuzz")
    ws = Workspace(root / "ws")
    ws.ensure_writable()
    asyncio.run(create_database(ws))
    (root / "corpus").mkdir()
    (root / "corpus" / "notes.md").write_text("# Leases\n\nA lease expires; work is retried.\n")
    return ws
