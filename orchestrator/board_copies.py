"""The orchestrator's side of a blackboard that travels through the store.

When the store is not the workspace's own SQLite file, workers may run on hosts that
share only the store: they put every file they write in it, and read earlier files from
it. Here the files they put are copied under this workspace's `blackboard/<session>/`
(so `cat`, `swarm blackboard` and the board work as ever), and the files the
orchestrator writes itself (context.md, plan.md, a person's answers) are put in it.

The copy starts from, and moves on, the mark the home keeps in the session's folder
(blackboard/copies.py): the workers this orchestrator starts share its home, and so
its copy, and a resumed session does not copy again what is already here.
"""

from __future__ import annotations

import asyncio

from blackboard.copies import HostCopy
from orchestrator.workspace import Workspace
from taskqueue import Store

# The least time between two copies: every change to the store wakes the copying loop.
COPY_GAP_S = 0.05


async def share_file(ws: Workspace, store: Store, session_id: str, relative: str) -> None:
    """Put a file the orchestrator wrote in the store, for workers on other hosts."""
    if ws.board_through_store:
        text = ws.board(session_id).read_text(relative)
        await store.put_blackboard_file(session_id, relative, text)


async def copy_board(ws: Workspace, store: Store, session_id: str) -> None:
    """Copy every file the store holds for the session, and not yet here, into this
    workspace."""
    if ws.board_through_store:
        await HostCopy(store, ws.board(session_id)).update()


async def keep_board_copied(ws: Workspace, store: Store, session_id: str) -> None:
    """Copy the session's files into this workspace as they are put; until cancelled."""
    copy = HostCopy(store, ws.board(session_id))
    while True:
        seen = store.news_version
        await copy.update()
        await asyncio.sleep(COPY_GAP_S)
        await store.wait_for_news(1.0, seen)
