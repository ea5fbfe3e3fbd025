"""A real `redis-server` for tests: started on a free port in a temp folder, no disk writes;
or a durable one (append-only file, fsync on every write) that a test can SIGKILL and
start again on the same port and folder.

Tests that need one skip, saying why, only when `redis-server` is not installed.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# Enough for a loaded machine to start the server; it starts in milliseconds when idle.
START_TIMEOUT_S = 30.0


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def skip_without_redis_server() -> None:
    if redis_server_binary() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _start(port: int, folder: Path, *settings: str) -> subprocess.Popen[bytes]:
    binary = redis_server_binary()
    assert binary is not None
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
         "--save", "", *settings],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"redis-server did not start on port {port}")
        time.sleep(0.02)
    return process


@contextlib.contextmanager
def running_redis_server() -> Iterator[str]:
    """A fresh server for the block; yields its URL (database 0)."""
    folder = Path(tempfile.mkdtemp(prefix="swarm-redis-"))
    port = _free_port()
    process = _start(port, folder, "--appendonly", "no")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)


# What docs/design.md asks of a server that must lose nothing it acknowledged.
DURABLE_SETTINGS = ("--appendonly", "yes", "--appendfsync", "always")


class DurableRedisServer:
    """A server writing every change to its append-only file before it answers, in
    `folder`; `kill` is SIGKILL, `start` brings it back from the file on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self._process is None, "already running"
        self._process = _start(self.port, self.folder, *DURABLE_SETTINGS)

    def kill(self) -> None:
        assert self._process is not None, "not running"
        self._process.send_signal(signal.SIGKILL)
        self._process.wait()
        self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait()
            self._process = None
