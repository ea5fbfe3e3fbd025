"""The dashboard in tests: the app in-process (starlette's TestClient), the real server
started through the command line, and headless Chromium from Debian driving the page."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

from starlette.testclient import TestClient

from orchestrator.dashboard.app import create_app
from orchestrator.dashboard.settings import DashboardSettings
from orchestrator.workspace import Workspace
from support.cli import cli_env
from taskqueue import NewTask, SqliteStore

T = TypeVar("T")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Long enough for a loaded two-core machine; a passing test never waits this long.
START_S = 60.0
ORIGIN = "http://127.0.0.1:8765"
CHANGE = {"X-Swarm-Request": "1"}


def board_client(home: Path, settings: DashboardSettings | None = None,
                 base_url: str = ORIGIN, **options: Any) -> TestClient:
    """The board of the workspace at `home` (made if missing), in-process: starlette's
    TestClient, reached at `base_url`."""
    home.mkdir(parents=True, exist_ok=True)
    app = create_app(Workspace(home), settings or DashboardSettings(port=8765))
    return TestClient(app, base_url=base_url, **options)


def in_store(home: Path, action: Callable[[SqliteStore], Coroutine[Any, Any, T]]) -> T:
    """Run `action` on the workspace's store from a synchronous test."""

    async def run() -> T:
        store = await SqliteStore.open(home / "swarm.db", sender="test")
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(run())


def seed_session(home: Path, tasks: list[NewTask], request: str = "a board test"
                 ) -> tuple[str, list[int]]:
    """A session with `tasks` enqueued and no worker: they stay where they are put."""

    async def seed(store: SqliteStore) -> tuple[str, list[int]]:
        session = await store.create_session(request, {})
        return session.id, await store.enqueue_plan(session.id, tasks)

    return in_store(home, seed)


@contextlib.contextmanager
def dashboard_process(home: Path, *args: str) -> Iterator[str]:
    """`python -m orchestrator dashboard --port 0 ARGS`; yields the address it printed."""
    argv = [sys.executable, "-m", "orchestrator", "dashboard", "--port", "0",
            "--home", str(home), *args]
    process = subprocess.Popen(argv, env=cli_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield _printed_url(process)
    finally:
        stop(process)


def _printed_url(process: subprocess.Popen[str]) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=START_S)
    except queue.Empty:
        raise AssertionError(f"the dashboard printed no address in {START_S:g} s") from None
    found = re.search(r"http://\S+", line)
    if not found:
        stop(process)
        raise AssertionError(f"no address in {line!r}; stderr: {process.stderr.read()}"
                             if process.stderr else line)
    return found.group(0)


def stop(process: subprocess.Popen[str]) -> None:
    """SIGINT, as Ctrl-C would; then SIGKILL to the group if it does not end; always reap."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def http_request(address: tuple[str, int], method: str, path: str,
                 headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request to a running board at `address`: its status and body."""
    connection = http.client.HTTPConnection(*address, timeout=60)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
