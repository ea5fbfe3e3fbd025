"""An answer's text is checked as a request's is: no NUL or other control character
reaches the blackboard, from the command line or from the board."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from orchestrator import cli
from support.dashboard import CHANGE, board_client, in_store, seed_session
from taskqueue import HUMAN_ROLE, NewTask, SqliteStore, TaskStatus


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, int]:
    home = tmp_path / "ws"
    home.mkdir()
    _, [ask] = seed_session(home, [NewTask(role=HUMAN_ROLE, title="Ask",
                                           input={"question": "ok?"})])
    return home, ask


def status_of(home: Path, task_id: int) -> TaskStatus:
    async def get(store: SqliteStore) -> TaskStatus:
        return (await store.get_task(task_id)).status

    return in_store(home, get)


@pytest.mark.parametrize(("text", "fragment"), [
    ("yes\x00no", "control character U+0000 at position 3"),
    ("yes \x1b[2J", "control character U+001B"),
    (b"yes \xff", "not UTF-8 text"),
], ids=["nul", "escape", "not-utf8"])
def test_answer_on_stdin_with_a_control_character_is_refused(
    seeded: tuple[Path, int], text: str | bytes, fragment: str
) -> None:
    home, ask = seeded
    result = CliRunner().invoke(cli.main, ["answer", str(ask), "-", "--home", str(home)],
                                input=text)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("swarm: error: the answer "), result.stderr
    assert fragment in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert status_of(home, ask) is TaskStatus.QUEUED
    assert not (home / "blackboard").exists() or not any((home / "blackboard").rglob("*.md"))


def test_answer_keeps_line_breaks_and_tabs(seeded: tuple[Path, int]) -> None:
    home, ask = seeded
    result = CliRunner().invoke(cli.main, ["answer", str(ask), "yes\n\tand no",
                                           "--home", str(home)])
    assert result.exit_code == 0, result.stderr
    assert status_of(home, ask) is TaskStatus.DONE


@pytest.fixture
def client(seeded: tuple[Path, int]) -> Iterator[TestClient]:
    with board_client(seeded[0]) as test_client:
        yield test_client


def test_board_answer_with_a_nul_is_a_400(client: TestClient, seeded: tuple[Path, int]
                                         ) -> None:
    home, ask = seeded
    response = client.post(f"/api/tasks/{ask}/answer", json={"text": "yes\x00no"},
                           headers=CHANGE)
    assert response.status_code == 400
    assert "control character U+0000" in response.json()["error"]
    assert status_of(home, ask) is TaskStatus.QUEUED
