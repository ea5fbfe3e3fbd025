"""`swarm cancel`: a session, and what cannot be cancelled because it has finished."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from support.cli import SAMPLE_CORPUS, assert_clean_error, swarm
from support.sessions import db_rows

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class FinishedSession:
    home: Path
    session_id: str


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> FinishedSession:
    home = tmp_path_factory.mktemp("cancel") / "ws"
    result = swarm("run", "What is a lease?", "--corpus", SAMPLE_CORPUS, home=home)
    assert result.returncode == 0, result.stderr
    return FinishedSession(home, result.stdout.splitlines()[0])


def test_cancel_of_a_finished_session_is_refused_and_changes_nothing(
    finished: FinishedSession,
) -> None:
    result = swarm("cancel", finished.session_id[:6], home=finished.home)

    assert_clean_error(result, f"session {finished.session_id} already finished (done)",
                       "nothing to cancel")
    assert "cancelled" not in result.stdout
    assert db_rows(finished.home, "SELECT status FROM sessions") == [("done",)]
    assert not db_rows(finished.home, "SELECT id FROM tasks WHERE status = 'cancelled'")
