"""Text from a plan, a skill or a model never reaches the terminal as control sequences."""

from __future__ import annotations

import io
import time
from pathlib import Path

from orchestrator.follow import Progress
from orchestrator.progress import LiveRenderer, PlainRenderer
from support.cli import swarm
from support.dashboard import seed_session
from taskqueue import HUMAN_ROLE, Message, NewTask, printable

RETITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"


def test_control_characters_are_shown_as_visible_escapes() -> None:
    assert printable(f"a{RETITLE}b\tc\x9bd") == "a\\x1b]0;pwned\\x07b\\x09c\\x9bd"
    assert printable("plain — text, ünïcode") == "plain — text, ünïcode"


def test_status_prints_a_title_with_escapes_as_visible_text(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    session, _ = seed_session(home, [
        NewTask(role="researcher", title=f"Scan {RETITLE}the corpus{CLEAR}"),
        NewTask(role=HUMAN_ROLE, title=f"Ask{RETITLE}", input={"question": "ok?"}),
    ])

    result = swarm("status", session, home=home)

    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert "Scan \\x1b]0;pwned\\x07the corpus\\x1b[2J" in result.stdout


def message(kind: str, body: dict[str, object]) -> Message:
    return Message(id=1, time=time.time(), channel="session:s", kind=kind, sender="w",
                   body=body)


def test_progress_lines_print_a_model_error_with_escapes_as_visible_text() -> None:
    failed = message("task.failed", {"task_id": 3, "attempt": 1,
                                     "error": f"ValueError: {RETITLE}boom"})
    progress = Progress(session_id="s", started=time.time(), humans={4: f"Ask{RETITLE}"})
    queued = message("task.queued", {"task_ids": [4]})
    plain_out, live_out = io.StringIO(), io.StringIO()
    plain, live = PlainRenderer(plain_out), LiveRenderer(live_out)

    for renderer in (plain, live):
        renderer.event(failed, progress)
        renderer.event(queued, progress)
    live.snapshot(progress, force=True)

    assert "\x1b]" not in plain_out.getvalue()
    assert "\x07" not in plain_out.getvalue()
    assert "boom" in plain_out.getvalue()
    assert "Ask\\x1b]0;pwned\\x07" in plain_out.getvalue()
    # The live block moves the cursor itself; none of the task's text may.
    assert "\x1b]" not in live_out.getvalue()
    assert "\\x1b]0;pwned\\x07boom" in live_out.getvalue()
