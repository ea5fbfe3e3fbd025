"""Bad numbers and a bad database, over real HTTP and the real command: one-line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from support.cli import swarm
from support.dashboard import CHANGE, dashboard_process, http_request


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    home = tmp_path_factory.mktemp("bad-input") / "ws"
    home.mkdir()
    with dashboard_process(home) as url:
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        yield parts.hostname, parts.port


@pytest.mark.parametrize("after", ["%C2%B2", "99999999999999999999999", "9223372036854775808"],
                         ids=["superscript-two", "huge", "just-past-int64"])
def test_event_offset_that_is_no_message_id_is_a_400(
    address: tuple[str, int], after: str,
) -> None:
    status, body = http_request(address, "GET", f"/api/events?after={after}")

    assert status == 400
    assert "message id" in json.loads(body)["error"]


@pytest.mark.parametrize("action", ["cancel", "answer"])
def test_task_id_past_any_task_is_a_400(
    address: tuple[str, int], action: str,
) -> None:
    status, body = http_request(address, "POST", f"/api/tasks/99999999999999999999999/{action}",
                           headers={**CHANGE, "Content-Type": "application/json"})

    assert status == 400
    assert "out of range" in json.loads(body)["error"]


def test_garbage_database_is_one_line_and_exit_2_before_serving(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "swarm.db").write_bytes(bytes(range(256)) * 64)

    result = swarm("dashboard", "--port", "0", home=home, timeout=60)

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert result.stderr.startswith(f"swarm: error: {home / 'swarm.db'}: not a SQLite database")
