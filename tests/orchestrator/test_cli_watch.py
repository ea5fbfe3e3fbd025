"""`swarm watch` of a session that has finished: JSON output, following from an offset,
and the time stamped on each event."""

from __future__ import annotations

import json

import pytest

from support.cli import SAMPLE_CORPUS, assert_clean_error, swarm
from support.sessions import FinishedSession, db_rows, slow_plan
from taskqueue import WORKERS_CHANNEL, session_channel

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> FinishedSession:
    """One session of slow tasks run one at a time, so that its events span seconds."""
    tmp_path = tmp_path_factory.mktemp("watched")
    plan, skills, _ = slow_plan(tmp_path, tasks=4, seconds=0.5)
    home = tmp_path / "ws"
    result = swarm("run", "Slow work", "--plan", plan, "--skills-dir", skills,
                   "--corpus", SAMPLE_CORPUS, "--workers", "researcher=1", home=home)
    assert result.returncode == 0, result.stderr
    return FinishedSession(home, result.stdout.splitlines()[0])


def test_every_line_of_watch_json_is_json_ending_with_the_outcome(
    finished: FinishedSession,
) -> None:
    watched = swarm("watch", finished.session_id, "--json", home=finished.home)

    assert watched.returncode == 0, watched.stderr
    lines = [json.loads(line) for line in watched.stdout.splitlines()]
    assert {"task.started", "task.done"} <= {line["kind"] for line in lines}
    report = finished.home / "blackboard" / finished.session_id / "final" / "report.md"
    assert lines[-1] == {"kind": "watch.finished", "exit": 0, "summary": lines[-1]["summary"],
                         "report": str(report)}
    assert lines[-1]["summary"].startswith("report written")


def test_watch_after_a_message_shows_every_later_one_and_no_other(
    finished: FinishedSession,
) -> None:
    channels = (session_channel(finished.session_id), WORKERS_CHANNEL)
    ids = [m for (m,) in db_rows(finished.home, "SELECT id FROM messages WHERE channel IN "
                                                "(?, ?) ORDER BY id", *channels)]
    seen_up_to = ids[len(ids) // 2]

    watched = swarm("watch", finished.session_id, "--json", "--after", str(seen_up_to),
                    home=finished.home)

    assert watched.returncode == 0, watched.stderr
    lines = [json.loads(line) for line in watched.stdout.splitlines()]
    assert [line["id"] for line in lines[:-1]] == [m for m in ids if m > seen_up_to]
    assert lines[-1]["kind"] == "watch.finished"


def test_watch_after_a_negative_offset_is_a_usage_error(finished: FinishedSession) -> None:
    result = swarm("watch", finished.session_id, "--after", "-1", home=finished.home)

    assert_clean_error(result, "--after", "-1")


def test_watch_of_a_finished_session_stamps_each_event_with_its_own_time(
    finished: FinishedSession,
) -> None:
    ((started,),) = db_rows(finished.home, "SELECT created_at FROM sessions")
    done = db_rows(finished.home, "SELECT time, json_extract(body, '$.task_id') FROM messages "
                                  "WHERE channel = ? AND kind = 'task.done' ORDER BY id",
                   session_channel(finished.session_id))
    expected = [f"[{minutes_seconds(float(str(sent)) - float(str(started)))}] task {task} done"
                for sent, task in done]
    assert len({line.split("]")[0] for line in expected}) > 1, "the session took under 1 s"

    watched = swarm("watch", finished.session_id, home=finished.home)

    assert watched.returncode == 0, watched.stderr
    shown = [line for line in watched.stdout.splitlines() if line.endswith(" done")]
    assert shown == expected


def minutes_seconds(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"
