"""Importing the queue's protocol, models and errors (as the blackboard does) loads no
storage backend: sqlite3 and the change watchers wait until a store is opened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import taskqueue

REPO = Path(taskqueue.__file__).resolve().parents[1]
BACKEND_MODULES = ("sqlite3", "watchfiles", "taskqueue.sqlite", "redis", "taskqueue.redis")


def modules_loaded_by(statement: str) -> set[str]:
    """The names in `sys.modules` after `statement`, in a fresh interpreter."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=True)
    return set(json.loads(done.stdout))


def test_importing_taskqueue_and_blackboard_loads_no_storage_backend() -> None:
    loaded = modules_loaded_by("import taskqueue, blackboard")

    assert not loaded & set(BACKEND_MODULES)


def test_sqlite_store_is_still_importable_from_taskqueue() -> None:
    loaded = modules_loaded_by(
        "from taskqueue import SqliteStore\n"
        "from taskqueue.sqlite import SqliteStore as Direct\n"
        "assert SqliteStore is Direct")

    assert loaded >= {"sqlite3", "taskqueue.sqlite"}


def test_a_store_waiting_for_news_on_linux_does_not_load_watchfiles(tmp_path: Path) -> None:
    # inotify serves on Linux; watchfiles is the fallback, and an idle worker's memory
    # would carry it (with anyio and multiprocessing) for nothing.
    loaded = modules_loaded_by(
        "import asyncio\n"
        "from pathlib import Path\n"
        "from taskqueue.sqlite import SqliteStore\n"
        "async def wait() -> None:\n"
        f"    store = await SqliteStore.open(Path({str(tmp_path / 'swarm.db')!r}))\n"
        "    await store.wait_for_news(0.05)\n"
        "    await store.close()\n"
        "asyncio.run(wait())")

    assert "watchfiles" not in loaded
