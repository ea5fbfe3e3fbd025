"""An opened card in-process: `GET /api/tasks/{id}` gives an agent task's steps from the
bus and a command task's diff from the blackboard, as text with each line's kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from blackboard import Blackboard, FrontMatter
from orchestrator.dashboard.task_detail import STEP_TEXT_CHARS, diff_lines
from skills.agents.steps import AGENT_STEP
from support.dashboard import board_client, in_store, seed_session
from taskqueue import NewTask, SqliteStore, session_channel

DIFF = """diff --git a/greet.py b/greet.py
index 0000000..1111111 100644
--- a/greet.py
+++ b/greet.py
@@ -1,2 +1,3 @@
 import sys
-print('<b>old</b>')
+print('<img src=x onerror=alert(1)>')
+--- not a header: an added line
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with board_client(home) as test_client:
        yield test_client


def step(task_id: int, number: int, text: str = "") -> dict[str, Any]:
    return {"task_id": task_id, "step": number, "text": text, "tokens_in": 10 * number,
            "tokens_out": number, "latency_s": 0.01,
            "calls": [{"tool": "search_corpus", "arguments": '{"query": "dlq"}',
                       "answer": "<script>alert(1)</script>", "failed": False}]}


def publish_steps(home: Path, session_id: str, bodies: list[dict[str, Any]]) -> None:
    async def publish(store: SqliteStore) -> None:
        for body in bodies:
            await store.publish(session_channel(session_id), body, kind=AGENT_STEP)

    in_store(home, publish)


def test_an_agent_task_shows_its_own_steps_in_order(client: TestClient, home: Path) -> None:
    session_id, (mine, other) = seed_session(home, [
        NewTask(key="a", role="investigator", skill="agent", title="Investigate"),
        NewTask(key="b", role="investigator", skill="agent", title="Another")])
    long_text = "x" * (STEP_TEXT_CHARS + 50)
    publish_steps(home, session_id, [step(mine, 1), step(other, 1), step(mine, 2, long_text)])
    board = Blackboard(home / "blackboard", session_id)
    board.write(f"traces/task-{mine}.md", "# Trace")

    detail = client.get(f"/api/tasks/{mine}").json()

    assert detail["task"]["id"] == mine
    assert [s["step"] for s in detail["steps"]] == [1, 2]
    assert detail["steps"][0]["calls"][0] == {
        "tool": "search_corpus", "arguments": '{"query": "dlq"}',
        "answer": "<script>alert(1)</script>", "failed": False}
    assert detail["steps"][0]["tokens_in"] == 10
    assert detail["steps"][1]["text"] == "x" * STEP_TEXT_CHARS + " …"
    assert detail["trace"] == f"traces/task-{mine}.md"
    assert detail["diff"] is None
    view = client.get(f"/api/sessions/{session_id}").json()
    cards = {t["id"]: t for t in view["tasks"]}
    assert (cards[mine]["trace"], cards[mine]["patch"]) == (f"traces/task-{mine}.md", None)
    assert cards[other]["trace"] is None


def test_a_command_task_shows_its_diff_as_text_with_lines_marked(
    client: TestClient, home: Path
) -> None:
    session_id, (coder,) = seed_session(home, [NewTask(key="c", role="coder", title="Code")])
    Blackboard(home / "blackboard", session_id).write(
        f"patches/task-{coder}.diff", DIFF, FrontMatter(task=coder, role="coder"))

    response = client.get(f"/api/tasks/{coder}")

    assert response.headers["content-type"] == "application/json"
    diff = response.json()["diff"]
    assert diff["path"] == f"patches/task-{coder}.diff"
    assert (diff["files"], diff["added"], diff["removed"], diff["truncated"]) == (1, 2, 1, False)
    assert diff["raw"] == f"/api/sessions/{session_id}/raw/patches/task-{coder}.diff"
    kinds = [(line["kind"], line["text"]) for line in diff["lines"]]
    assert kinds[:5] == [("file", "diff --git a/greet.py b/greet.py"),
                         ("file", "index 0000000..1111111 100644"),
                         ("file", "--- a/greet.py"), ("file", "+++ b/greet.py"),
                         ("hunk", "@@ -1,2 +1,3 @@")]
    assert ("add", "+print('<img src=x onerror=alert(1)>')") in kinds
    assert ("del", "-print('<b>old</b>')") in kinds
    assert ("context", " import sys") in kinds
    view = client.get(f"/api/sessions/{session_id}").json()
    assert view["tasks"][0]["patch"] == f"patches/task-{coder}.diff"


def test_a_line_like_a_header_inside_a_hunk_is_an_added_line() -> None:
    assert diff_lines(DIFF)[-1] == {"kind": "add", "text": "+--- not a header: an added line"}


@pytest.mark.parametrize(("path", "status"), [
    ("/api/tasks/999", 404), (f"/api/tasks/{2**63}", 400), ("/api/tasks/x", 404)])
def test_an_unknown_task_is_refused_with_a_reason(
    client: TestClient, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status
    if status != 404 or path != "/api/tasks/x":
        assert response.json()["error"]
