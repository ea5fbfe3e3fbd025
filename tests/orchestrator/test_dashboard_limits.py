"""The board's bounds, over real HTTP on 127.0.0.1: big files, big bodies, bad numbers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from blackboard import Blackboard
from orchestrator.dashboard import app as dashboard_app
from orchestrator.dashboard.app import MAX_BODY_BYTES
from orchestrator.dashboard.render import MAX_RENDER_BYTES, render_file
from orchestrator.dashboard.settings import DashboardSettings
from orchestrator.workspace import Workspace
from support.dashboard import ORIGIN, dashboard_process, http_request, seed_session
from taskqueue import HUMAN_ROLE, NewTask

LINE = b"A line of a very long finding, repeated until the file is big.\n"
BIG_FILE_BYTES = len(LINE) * 600_000


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str, int]]:
    """A running board: its host, port, a session id with a big file, and a human task."""
    home = tmp_path_factory.mktemp("limits") / "ws"
    home.mkdir()
    session, [task] = seed_session(home, [NewTask(role=HUMAN_ROLE, title="Answer me",
                                                  input={"question": "Yes?"})])
    bb = Blackboard(home / "blackboard", session)
    bb.create()
    (bb.path / "notes").mkdir(parents=True, exist_ok=True)
    with (bb.path / "notes" / "big.md").open("wb") as handle:
        handle.write(LINE * (BIG_FILE_BYTES // len(LINE)))
    with dashboard_process(home) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        yield parts.hostname, parts.port, session, task


def request(board: tuple[str, int, str, int], method: str, path: str,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    host, port, _, _ = board
    return http_request((host, port), method, path, headers)


def read_to_close(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection."""
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


def test_big_file_is_shown_by_its_head_with_its_size_and_a_link_to_the_whole(
    board: tuple[str, int, str, int],
) -> None:
    session = board[2]
    status, body = request(board, "GET", f"/api/sessions/{session}/blackboard/notes/big.md")

    assert status == 200
    shown = json.loads(body)
    assert shown["truncated"] is True
    assert shown["size"] == BIG_FILE_BYTES
    assert len(shown["html"]) < 2 * MAX_RENDER_BYTES
    assert f"of {shown['size']:,}" in shown["html"]
    status, whole = request(board, "GET", shown["raw"])
    assert status == 200
    assert len(whole) == shown["size"]


def test_other_requests_are_served_while_a_file_is_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A slow disk, held until another request is answered: were the file read on the
    # event loop, that request could not be answered and the read would give up waiting.
    home = tmp_path / "ws"
    home.mkdir()
    session, _ = seed_session(home, [NewTask(role=HUMAN_ROLE, title="Answer me")])
    Blackboard(home / "blackboard", session).write("notes/a.md", "A finding.")
    reading, release = threading.Event(), threading.Event()
    released: list[bool] = []

    def slow_render(*args: Any, **kwargs: Any) -> Any:
        reading.set()
        released.append(release.wait(timeout=30))
        return render_file(*args, **kwargs)

    monkeypatch.setattr(dashboard_app, "render_file", slow_render)
    app = dashboard_app.create_app(Workspace(home), DashboardSettings(port=8765))
    with TestClient(app, base_url=ORIGIN) as client:
        reader = threading.Thread(
            target=client.get, args=(f"/api/sessions/{session}/blackboard/notes/a.md",))
        reader.start()
        assert reading.wait(timeout=30)
        listed = client.get("/api/sessions")
        release.set()
        reader.join(timeout=60)

    assert listed.status_code == 200
    assert released == [True]


def test_body_declared_too_big_is_refused_before_it_is_sent(
    board: tuple[str, int, str, int],
) -> None:
    host, port, _, task = board
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(f"POST /api/tasks/{task}/answer HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     "X-Swarm-Request: 1\r\nContent-Type: application/json\r\n"
                     "Content-Length: 300000000\r\n\r\n".encode())
        reply = read_to_close(sock).decode()

    assert reply.startswith("HTTP/1.1 413")
    assert "larger than the" in reply


def test_body_without_a_length_is_refused_once_it_grows_past_the_cap(
    board: tuple[str, int, str, int],
) -> None:
    host, port, _, task = board
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(f"POST /api/tasks/{task}/answer HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     "X-Swarm-Request: 1\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        sock.settimeout(0.05)
        reply = b""
        while not reply and sent < 50 * MAX_BODY_BYTES:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                reply = sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(30)
        reply = reply or sock.recv(65536)

    assert reply.startswith(b"HTTP/1.1 413")
    assert sent < 4 * MAX_BODY_BYTES
