"""The live watcher: followers see files written by other processes, under final names."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from blackboard import Blackboard, BlackboardFileNotFound
from blackboard.layout import is_temp_name

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Writes through the API, as a worker process would.
CHILD_WRITER = """
import sys
from pathlib import Path
from blackboard import Blackboard, FrontMatter

board = Blackboard(Path(sys.argv[1]), sys.argv[2])
meta = FrontMatter(task=7, attempt=1)
board.write_output("findings", "from child", "written by another process", meta)
"""

# Generous bounds that only stop a hang; no test asserts how fast anything is.
HANG_TIMEOUT_S = 30.0


@asynccontextmanager
async def following(board: Blackboard) -> AsyncIterator[asyncio.Queue[list[str]]]:
    """Run ``board.watch`` in a task feeding a queue; stop it on exit and check it ended."""
    batches: asyncio.Queue[list[str]] = asyncio.Queue()
    stop = asyncio.Event()

    async def follow() -> None:
        async for batch in board.watch(stop):
            batches.put_nowait(batch)

    follower = asyncio.create_task(follow())
    try:
        await _until_watching(board, batches)
        yield batches
    finally:
        stop.set()
        async with asyncio.timeout(HANG_TIMEOUT_S):
            await follower


async def _until_watching(board: Blackboard, batches: asyncio.Queue[list[str]]) -> None:
    # The watcher is armed some time after the task starts; probe until a write is seen.
    async with asyncio.timeout(HANG_TIMEOUT_S):
        probe = 0
        while batches.empty():
            board.write(f"analysis/probe-{probe}.md", "probe")
            probe += 1
            await asyncio.sleep(0.1)


async def _until_seen(batches: asyncio.Queue[list[str]], wanted: str) -> list[list[str]]:
    seen: list[list[str]] = []
    async with asyncio.timeout(HANG_TIMEOUT_S):
        while not any(wanted in batch for batch in seen):
            seen.append(await batches.get())
    return seen


async def test_watcher_sees_a_write_made_by_another_process(board: Blackboard) -> None:
    async with following(board) as batches:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD_WRITER,
            str(board.path.parent),
            board.session_id,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(HANG_TIMEOUT_S):
            _, stderr = await child.communicate()
        assert child.returncode == 0, stderr.decode()

        seen = await _until_seen(batches, "findings/from-child--t7-a1.md")

    assert all(not is_temp_name(Path(path).name) for batch in seen for path in batch)
    read = board.read("findings/from-child--t7-a1.md")
    assert read.body == "written by another process"
    assert read.front_matter is not None
    assert read.front_matter.task == 7


async def test_watcher_reports_changes_to_existing_files_and_skips_folders(
    board: Blackboard,
) -> None:
    board.write("context.md", "first")

    async with following(board) as batches:
        (board.path / "designs" / "empty-folder").mkdir()
        board.write("context.md", "second")
        seen = await _until_seen(batches, "context.md")

    reported = {path for batch in seen for path in batch}
    assert "designs/empty-folder" not in reported
    assert all(not is_temp_name(Path(path).name) for path in reported)


async def test_watching_a_missing_session_is_refused(tmp_path: Path) -> None:
    missing = Blackboard(tmp_path, "s9")

    with pytest.raises(BlackboardFileNotFound):
        async for _ in missing.watch():
            pass


def test_a_process_that_only_writes_the_board_does_not_import_the_watcher() -> None:
    """watchfiles (with anyio and multiprocessing) is imported by a follower only: every
    worker process writes to the board and would pay its memory for nothing."""
    check = "import sys, blackboard; print(sorted(m for m in sys.modules if 'watchfiles' in m))"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=60, check=True)

    assert result.stdout.strip() == "[]"
