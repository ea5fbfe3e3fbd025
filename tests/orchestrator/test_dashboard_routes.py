"""The dashboard's routes in-process: what the page reads, and the three actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from blackboard import Blackboard, FrontMatter
from orchestrator.dashboard.snapshot import workers_view
from support.dashboard import CHANGE, board_client, in_store, seed_session
from taskqueue import HUMAN_ROLE, NewTask, SqliteStore, TaskStatus, WorkerInfo, WorkerStatus


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with board_client(home) as test_client:
        yield test_client


PLAN = [
    NewTask(key="scan", role="researcher", skill="research", title="Scan the corpus",
            priority=5),
    NewTask(key="ask", role=HUMAN_ROLE, title="Approve the scan", depends_on=["scan"],
            input={"question": "Is the scan good?"}),
    NewTask(key="end", role="coordinator", skill="synthesize", title="Report",
            depends_on=["ask"]),
]


def task_status(home: Path, task_id: int) -> TaskStatus:
    async def get(store: SqliteStore) -> TaskStatus:
        return (await store.get_task(task_id)).status

    return in_store(home, get)


def finish(home: Path, task_id: int) -> None:
    async def run(store: SqliteStore) -> None:
        [task] = await store.claim("w", [(await store.get_task(task_id)).role], 1, lease_s=30)
        assert task.id == task_id
        await store.complete(task.id, task.attempt)

    in_store(home, run)


def test_page_and_its_assets_are_served_from_the_package(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<script type="module" src="/static/app.js">' in page.text
    for asset in ("app.js", "api.js", "board.js", "detail.js", "graph.js", "panels.js",
                  "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200, asset


def test_sessions_are_listed_newest_first_with_counts(client: TestClient, home: Path) -> None:
    first, _ = seed_session(home, PLAN[:1], "first request")
    second, _ = seed_session(home, PLAN, "second request")

    listed = client.get("/api/sessions").json()

    assert [s["id"] for s in listed] == [second, first]
    assert listed[0]["counts"] == {"queued": 1, "blocked": 2}
    assert (listed[0]["done"], listed[0]["total"]) == (0, 3)


def test_session_shows_tasks_workers_and_files(client: TestClient, home: Path) -> None:
    session_id, (scan, ask, end) = seed_session(home, PLAN)
    Blackboard(home / "blackboard", session_id).write("notes/a.md", "# A")

    view = client.get(f"/api/sessions/{session_id[:6]}").json()

    assert view["session"]["id"] == session_id
    assert view["last_event_id"] > 0
    cards = {t["id"]: t for t in view["tasks"]}
    assert cards[scan] | {"role": "researcher", "skill": "research", "status": "queued",
                          "title": "Scan the corpus", "attempt": 0, "max_attempts": 3,
                          "depends_on": [], "elapsed_s": None} == cards[scan]
    assert cards[ask]["human"] is True
    assert cards[ask]["question"] == "Is the scan good?"
    assert cards[end]["depends_on"] == [ask]
    assert view["workers"] == []
    assert view["blackboard"] == ["notes/a.md"]
    assert view["report"] is None


def test_unknown_session_is_a_404_with_a_reason(client: TestClient) -> None:
    response = client.get("/api/sessions/nosuch")
    assert response.status_code == 404
    assert "nosuch" in response.json()["error"]


def test_blackboard_file_is_rendered_with_raw_html_escaped(
    client: TestClient, home: Path
) -> None:
    session_id, _ = seed_session(home, PLAN[:1])
    text = ("# Findings\n\n<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n"
            "[bad](javascript:alert(1)) [ok](findings/b.md)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    Blackboard(home / "blackboard", session_id).write(
        "findings/a.md", text, FrontMatter(task=1, role="researcher"))

    rendered = client.get(f"/api/sessions/{session_id}/blackboard/findings/a.md").json()

    assert rendered["front_matter"]["role"] == "researcher"
    html = rendered["html"]
    assert "<h1>Findings</h1>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html
    assert 'href="javascript:' not in html
    assert '<a href="findings/b.md">ok</a>' in html
    assert "<table>" in html


@pytest.mark.parametrize(("path", "status"), [
    ("..%2F..%2Fswarm.db", 400), ("%2Fetc%2Fpasswd", 400), ("findings/none.md", 404),
    ("findings", 400),
])
def test_blackboard_paths_are_confined_to_the_session(
    client: TestClient, home: Path, path: str, status: int
) -> None:
    session_id, _ = seed_session(home, PLAN[:1])
    Blackboard(home / "blackboard", session_id).create()

    response = client.get(f"/api/sessions/{session_id}/blackboard/{path}")

    assert response.status_code == status, response.text
    assert response.json()["error"]


def test_cancel_a_task_then_refuse_to_cancel_it_again(client: TestClient, home: Path) -> None:
    _, (scan, _ask, _end) = seed_session(home, PLAN)

    response = client.post(f"/api/tasks/{scan}/cancel", headers=CHANGE)
    assert response.status_code == 200, response.text
    assert task_status(home, scan) is TaskStatus.CANCELLED

    again = client.post(f"/api/tasks/{scan}/cancel", headers=CHANGE)
    assert again.status_code == 409
    assert "already cancelled" in again.json()["error"]
    assert client.post("/api/tasks/999/cancel", headers=CHANGE).status_code == 404


def test_cancel_a_session(client: TestClient, home: Path) -> None:
    session_id, ids = seed_session(home, PLAN)

    response = client.post(f"/api/sessions/{session_id}/cancel", headers=CHANGE)

    assert response.json() == {"session": session_id, "cancelled_tasks": 3}
    assert {task_status(home, i) for i in ids} == {TaskStatus.CANCELLED}
    assert client.get(f"/api/sessions/{session_id}").json()["session"]["status"] == "cancelled"


@pytest.mark.parametrize("as_form", [False, True])
def test_answer_a_human_task_writes_the_blackboard_and_releases_dependents(
    client: TestClient, home: Path, as_form: bool
) -> None:
    session_id, (scan, ask, end) = seed_session(home, PLAN)
    finish(home, scan)

    if as_form:
        response = client.post(f"/api/tasks/{ask}/answer", data={"text": "Looks good"},
                               headers=CHANGE)
    else:
        response = client.post(f"/api/tasks/{ask}/answer", json={"text": "Looks good"},
                               headers=CHANGE)

    assert response.status_code == 200, response.text
    assert response.json()["file"] == f"findings/answer--t{ask}-a1.md"
    assert task_status(home, ask) is TaskStatus.DONE
    assert task_status(home, end) is TaskStatus.QUEUED
    written = Blackboard(home / "blackboard", session_id).read(response.json()["file"])
    assert written.front_matter is not None
    assert (written.front_matter.role, written.front_matter.task) == (HUMAN_ROLE, ask)
    assert "Looks good" in written.body


@pytest.mark.parametrize(("body", "fragment"), [
    ({"text": "   "}, "not blank"), ({"answer": "yes"}, "field 'text'"), ([1, 2], "field"),
])
def test_answer_without_text_is_a_400(
    client: TestClient, home: Path, body: object, fragment: str
) -> None:
    _, (scan, ask, _end) = seed_session(home, PLAN)
    finish(home, scan)

    response = client.post(f"/api/tasks/{ask}/answer", json=body, headers=CHANGE)

    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert task_status(home, ask) is TaskStatus.QUEUED


def test_answering_what_waits_for_no_answer_is_a_409(client: TestClient, home: Path) -> None:
    _, (scan, ask, _end) = seed_session(home, PLAN)

    blocked = client.post(f"/api/tasks/{ask}/answer", json={"text": "x"}, headers=CHANGE)
    not_human = client.post(f"/api/tasks/{scan}/answer", json={"text": "x"}, headers=CHANGE)

    assert blocked.status_code == 409
    assert "still waits for tasks" in blocked.json()["error"]
    assert not_human.status_code == 409
    assert "only tasks of role 'human'" in not_human.json()["error"]
    assert client.post("/api/tasks/999/answer", json={"text": "x"},
                       headers=CHANGE).status_code == 404


def test_workers_panel_shows_each_slots_latest_worker_and_counts_its_restarts() -> None:
    def worker(worker_id: str, session: str | None, status: WorkerStatus,
               started: float) -> WorkerInfo:
        return WorkerInfo(id=worker_id, role="researcher", pid=int(started), session_id=session,
                          status=status, started_at=started, heartbeat_at=started + 1)

    rows = workers_view([
        worker("researcher.0-aaaaaa", "s1", WorkerStatus.DEAD, 100),
        worker("researcher.0-bbbbbb", "s1", WorkerStatus.DEAD, 110),
        worker("researcher.0-cccccc", "s1", WorkerStatus.RUNNING, 120),
        worker("researcher.1-dddddd", "s1", WorkerStatus.RUNNING, 100),
        worker("researcher-77-ab", None, WorkerStatus.RUNNING, 90),
        worker("researcher-78-cd", None, WorkerStatus.STOPPED, 95),
        worker("researcher.0-eeeeee", "s2", WorkerStatus.RUNNING, 130),
    ], "s1", now=200)

    assert [(r["id"], r["restarts"]) for r in rows] == [
        ("researcher-77-ab", None), ("researcher.0-cccccc", 2), ("researcher.1-dddddd", 0)]
    assert rows[1]["heartbeat_age_s"] == 79
