"""`/api/events` on the real server: the bus as server-sent events, resumed without a gap."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from orchestrator.dashboard.app import create_app
from orchestrator.dashboard.events import BadOffset, start_offset
from orchestrator.dashboard.settings import DashboardSettings
from orchestrator.workspace import Workspace
from support.dashboard import ORIGIN, dashboard_process, in_store, seed_session
from taskqueue import WORKERS_CHANNEL, Message, NewTask, SqliteStore, session_channel

# Generous: the machine may be busy; a passing test never waits this long.
READ_TIMEOUT_S = 60.0


def events(response: httpx2.Response) -> Iterator[dict[str, Any]]:
    """The events of a stream, each as {'id': int, 'data': message}; comments skipped."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if "data" in fields:
                yield {"id": int(fields["id"]), "data": json.loads(fields["data"])}
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")


def read_until(stream: Iterator[dict[str, Any]], done: Any) -> list[dict[str, Any]]:
    """Events until `done(event)` is true for one (included)."""
    seen = []
    deadline = time.monotonic() + READ_TIMEOUT_S
    for event in stream:
        seen.append(event)
        if done(event):
            return seen
        assert time.monotonic() < deadline, f"no end marker after {len(seen)} events"
    raise AssertionError(f"the stream ended after {seen}")


def publish(home: Path, session_id: str, notes: list[str]) -> list[int]:
    async def run(store: SqliteStore) -> list[int]:
        return [await store.publish(session_channel(session_id), {"note": note},
                                    kind="test.note") for note in notes]

    return in_store(home, run)


def bus_ids(home: Path, channels: list[str], after: int) -> list[int]:
    async def run(store: SqliteStore) -> list[Message]:
        return await store.read(channels, after, 10_000)

    return [m.id for m in in_store(home, run)]


def is_note(text: str) -> Any:
    return lambda e: e["data"]["kind"] == "test.note" and e["data"]["body"]["note"] == text


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    path.mkdir()
    return path


@pytest.mark.slow
def test_a_reconnecting_client_resumes_from_last_event_id_and_misses_nothing(
    home: Path,
) -> None:
    session_id, _ = seed_session(home, [NewTask(role="researcher", title="one")])
    channels = [session_channel(session_id), WORKERS_CHANNEL]
    with dashboard_process(home) as url, httpx2.Client(timeout=READ_TIMEOUT_S) as client:
        stream = f"{url}api/events?session={session_id[:6]}&after=0"
        with client.stream("GET", stream) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            publish(home, session_id, ["live"])
            first = read_until(events(response), is_note("live"))
        assert [e["id"] for e in first] == bus_ids(home, channels, 0)
        assert first[0]["data"]["kind"] == "session.created"

        # Disconnected: the bus moves on without us.
        last = first[-1]["id"]
        publish(home, session_id, [f"missed {n}" for n in range(30)])
        seed_session(home, [NewTask(role="researcher")], "another session, not ours")
        in_store(home, lambda store: store.enqueue(session_id, NewTask(role="analyst")))

        # A browser reconnects with the URL it first used and the id it saw last.
        with client.stream("GET", stream, headers={"Last-Event-ID": str(last)}) as response:
            publish(home, session_id, ["back"])
            resumed = read_until(events(response), is_note("back"))

    ids = [e["id"] for e in resumed]
    assert ids == bus_ids(home, channels, last), "a gap or a repeat after resuming"
    notes = [e["data"]["body"].get("note") for e in resumed if e["data"]["kind"] == "test.note"]
    assert notes == [*(f"missed {n}" for n in range(30)), "back"]
    assert any(e["data"]["kind"] == "task.queued" for e in resumed)


@pytest.mark.slow
def test_the_stream_of_every_session_includes_sessions_created_after_it_began(
    home: Path,
) -> None:
    first, _ = seed_session(home, [NewTask(role="researcher")], "first")
    with dashboard_process(home) as url, httpx2.Client(timeout=READ_TIMEOUT_S) as client, \
            client.stream("GET", f"{url}api/events") as response:
        stream = events(response)
        publish(home, first, ["started"])
        read_until(stream, is_note("started"))
        later, _ = seed_session(home, [NewTask(role="researcher")], "later")
        publish(home, later, ["later one"])
        seen = read_until(stream, is_note("later one"))
    kinds = [(e["data"]["channel"], e["data"]["kind"]) for e in seen]
    assert (session_channel(later), "session.created") in kinds
    assert (session_channel(later), "task.queued") in kinds


def test_a_bad_resume_offset_is_a_400(home: Path) -> None:
    app = create_app(Workspace(home), DashboardSettings(port=8765))
    with TestClient(app, base_url=ORIGIN) as client:
        response = client.get("/api/events", headers={"Last-Event-ID": "abc"})
        assert response.status_code == 400
        assert "abc" in response.json()["error"]
        assert client.get("/api/events?session=nosuch").status_code == 404


@pytest.mark.parametrize(("header", "after", "expected"), [
    (None, None, None), ("7", None, 7), (None, "5", 5), ("9", "5", 9), ("", "5", 5),
])
def test_last_event_id_wins_over_after(
    header: str | None, after: str | None, expected: int | None
) -> None:
    assert start_offset(header, after) == expected


def test_an_offset_that_is_not_a_message_id_is_refused() -> None:
    with pytest.raises(BadOffset):
        start_offset("-3", None)
