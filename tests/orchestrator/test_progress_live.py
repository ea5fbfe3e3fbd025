"""The live block on a terminal: redrawn at most every interval, but never left showing
a state older than the session's end."""

from __future__ import annotations

import io
import time
from collections import Counter

from orchestrator.follow import Progress
from orchestrator.progress import LiveRenderer, clock, describe
from taskqueue import WORKERS_CHANNEL, Message


def progress_of(**counts: int) -> Progress:
    return Progress(session_id="s", started=time.time(), by_role={"analyst": Counter(counts)})


def test_a_redraw_within_the_interval_is_skipped_while_work_goes_on() -> None:
    out = io.StringIO()
    renderer = LiveRenderer(out, min_interval_s=3600)

    renderer.snapshot(progress_of(queued=2))
    renderer.snapshot(progress_of(queued=1, running=1))

    assert "running 1" not in out.getvalue()


def test_the_final_state_is_drawn_even_within_the_interval() -> None:
    out = io.StringIO()
    renderer = LiveRenderer(out, min_interval_s=3600)

    renderer.snapshot(progress_of(queued=2))
    renderer.snapshot(progress_of(done=2))

    assert out.getvalue().rstrip().splitlines()[-1] == "  analyst      2/2 done"
    assert "done 2" in out.getvalue()


def test_a_time_past_an_hour_shows_the_hours() -> None:
    assert [clock(s) for s in (0, 59.9, 61, 3599, 3725)] == [
        "00:00", "00:59", "01:01", "59:59", "1:02:05"]


def test_a_skill_file_that_failed_to_reload_is_one_line_naming_the_worker() -> None:
    error = "/s/slow.py:1: failed to import: SyntaxError; the last good version stays loaded"
    message = Message(id=7, time=0.0, channel=WORKERS_CHANNEL, kind="skill.load_failed",
                      sender="w1", body={"worker": "w1", "origin": "/s/slow.py",
                                         "error": error})

    assert describe(message) == f"worker w1: {error}"
