"""Copying a session's blackboard files from the store to a host's own blackboard, for
hosts that share only the store (docs/design.md, "Hosts that share only the store").

The blackboard knows nothing of the queue: the store is any object with the
`blackboard_files` method of `taskqueue.Store`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from blackboard.board import Blackboard

COPY_BATCH = 100


class FileCopy(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def seq(self) -> int: ...


class FileSource(Protocol):
    async def blackboard_files(
        self, session_id: str, after: int = 0, limit: int = 100
    ) -> Sequence[FileCopy]: ...


async def copy_from_store(source: FileSource, board: Blackboard, after: int = 0) -> int:
    """Write every file of the board's session put after sequence `after` into `board`;
    the last sequence copied (`after` when there was none)."""
    while batch := await source.blackboard_files(board.session_id, after=after,
                                                 limit=COPY_BATCH):
        for copy in batch:
            await asyncio.to_thread(board.write_copy, copy.path, copy.text)
            after = copy.seq
    return after
