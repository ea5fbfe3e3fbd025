"""The board in a real browser (Debian's headless Chromium, driven by playwright) against
live sessions started through the command line: cards move without a reload, a task
cancelled from the page shows as cancelled, a human task answered there unblocks the
session, an agent's card lists its steps as they come and a command task's card its diff.

`SWARM_DASHBOARD_SCREENSHOT=docs/dashboard.png` keeps the board's picture for the README.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.cli import README_REQUEST, SAMPLE_CORPUS, swarm, write_plan
from support.dashboard import CHROMIUM, CHROMIUM_ARGS, dashboard_process
from support.fake_llm import Answer, Call, Reply, Request, answer_like_a_model, fake_model
from tests.skills.commands.conftest import make_repo

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(420),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's chromium is not installed at "
                       f"{CHROMIUM} (.ci/run installs it: apt-get install chromium)"),
]

# Generous, for a busy two-core machine; a passing test never waits this long.
WAIT_MS = 180_000

# Each task waits for the gate file, so the test decides when the work may finish.
GATE_SKILL = '''
import time
from pathlib import Path

class Gate:
    def execute(self, n: int, gate: str) -> str:
        deadline = time.monotonic() + 300
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return f"# Gated task {n}\\n\\nThe gate opened."
'''


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()
    assert not errors, f"the page raised: {errors}"


def gated_plan(tmp_path: Path, tasks: int) -> tuple[Path, Path, Path]:
    skills = tmp_path / "skills"
    skills.mkdir()
    (skills / "gate.py").write_text(GATE_SKILL)
    gate = tmp_path / "gate"
    plan = write_plan(tmp_path / "plan.toml", [
        {"id": f"t{n}", "role": "researcher", "skill": "gate", "title": f"Gated task {n}",
         "priority": tasks - n, "input": {"n": n, "gate": str(gate)}}
        for n in range(tasks)])
    return plan, skills, gate


@contextlib.contextmanager
def detached_session(home: Path, *args: str | Path, env: dict[str, str] | None = None
                     ) -> Iterator[str]:
    """`run --detach ARGS`; the session is cancelled if a test leaves it running."""
    started = swarm("run", *args, "--detach", home=home, timeout=120, env=env)
    assert started.returncode == 0, started.stderr
    session_id = started.stdout.splitlines()[0].strip()
    try:
        yield session_id
    finally:
        if db_value(home, "SELECT status FROM sessions WHERE id = ?", session_id) == "running":
            swarm("cancel", session_id, home=home, timeout=60)
        wait_for(lambda: not db_value(
            home, "SELECT count(*) FROM workers WHERE session_id = ? AND status IN "
            "('running', 'stopping')", session_id), "the session's workers to stop")


def db_value(home: Path, sql: str, *params: object) -> Any:
    with contextlib.closing(sqlite3.connect(home / "swarm.db")) as conn:
        row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def wait_for(predicate: Any, what: str, timeout: float = WAIT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def card(page: Any, status: str, task_id: int | str) -> Any:
    return page.locator(f'.column[data-status="{status}"] .card[data-task-id="{task_id}"]')


def task_id(home: Path, session_id: str, key: str) -> int:
    found = db_value(home, "SELECT id FROM tasks WHERE session_id = ? AND key = ?",
                     session_id, key)
    assert found is not None, key
    return int(found)


def test_cards_move_from_queued_to_done_without_a_reload(tmp_path: Path, page: Any) -> None:
    from playwright.sync_api import expect

    home = tmp_path / "ws"
    plan, skills, gate = gated_plan(tmp_path, 3)
    with detached_session(home, "Gated work", "--plan", plan, "--skills-dir", skills,
                          "--corpus", SAMPLE_CORPUS, "--workers", "researcher=1") as session, \
            dashboard_process(home) as url:
        page.goto(f"{url}#session={session}")
        last = task_id(home, session, "t2")
        expect(card(page, "queued", last)).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
        page.evaluate("window.__loadedOnce = true")

        gate.touch()

        for key in ("t0", "t1", "t2", "synthesize"):
            expect(card(page, "done", task_id(home, session, key))).to_be_visible(
                timeout=WAIT_MS)
        expect(page.locator("#report-panel")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#session-status")).to_have_text("done", timeout=WAIT_MS)
        assert page.evaluate("window.__loadedOnce") is True, "the page was reloaded"
        assert page.locator('.graph .node.status-done').count() == 4

        page.select_option("#role-filter", "coordinator")
        expect(card(page, "done", last)).to_be_hidden()
        expect(card(page, "done", task_id(home, session, "synthesize"))).to_be_visible()
        expect(page.locator('.column[data-status="done"] .count')).to_have_text("1")


def test_the_page_catches_up_after_the_server_comes_back(tmp_path: Path, page: Any) -> None:
    from playwright.sync_api import expect

    home = tmp_path / "ws"
    plan, skills, gate = gated_plan(tmp_path, 2)
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = str(probe.getsockname()[1])
    with detached_session(home, "Gated work", "--plan", plan, "--skills-dir", skills,
                          "--corpus", SAMPLE_CORPUS, "--workers", "researcher=1") as session:
        with dashboard_process(home, "--port", port) as url:
            page.goto(f"{url}#session={session}")
            first = task_id(home, session, "t0")
            expect(card(page, "running", first)).to_be_visible(timeout=WAIT_MS)
            expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
            page.evaluate("window.__loadedOnce = true")
        expect(page.locator("#live")).to_have_text("reconnecting…", timeout=WAIT_MS)

        gate.touch()  # the work finishes while the page has no server
        wait_for(lambda: db_value(home, "SELECT status FROM sessions WHERE id = ?",
                                  session) == "done", "the session to end")

        with dashboard_process(home, "--port", port):
            expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)
            for key in ("t0", "t1", "synthesize"):
                expect(card(page, "done", task_id(home, session, key))).to_be_visible(
                    timeout=WAIT_MS)
            expect(page.locator("#session-status")).to_have_text("done", timeout=WAIT_MS)
        assert page.evaluate("window.__loadedOnce") is True, "the page was reloaded"


def test_a_task_cancelled_from_the_page_shows_as_cancelled(tmp_path: Path, page: Any) -> None:
    from playwright.sync_api import expect

    home = tmp_path / "ws"
    token = "a-token-for-the-browser-test"
    plan, skills, gate = gated_plan(tmp_path, 3)
    with detached_session(home, "Gated work", "--plan", plan, "--skills-dir", skills,
                          "--corpus", SAMPLE_CORPUS, "--workers", "researcher=1") as session, \
            dashboard_process(home, "--token", token) as url:
        assert f"?token={token}" in url
        page.goto(url)  # sets the cookie that every later request carries
        page.goto(f"{url.split('?')[0]}#session={session}")
        victim = task_id(home, session, "t2")
        expect(card(page, "queued", victim)).to_be_visible(timeout=WAIT_MS)
        # The event stream is open: the cookie carries the token for it too.
        expect(page.locator("#live")).to_have_text("live", timeout=WAIT_MS)

        card(page, "queued", victim).locator("button.cancel").click()

        expect(card(page, "cancelled", victim)).to_be_visible(timeout=WAIT_MS)
        expect(card(page, "cancelled", victim).locator(".error")).to_contain_text(
            "cancelled from the dashboard")
        assert db_value(home, "SELECT status FROM tasks WHERE id = ?", victim) == "cancelled"
        gate.touch()
        synthesis = task_id(home, session, "synthesize")
        expect(card(page, "done", synthesis)).to_be_visible(timeout=WAIT_MS)
        expect(card(page, "cancelled", victim)).to_be_visible()


def test_a_human_task_answered_from_the_page_unblocks_the_session(
    tmp_path: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    home = tmp_path / "ws"
    with detached_session(home, README_REQUEST, "--review", "--corpus", SAMPLE_CORPUS) \
            as session, dashboard_process(home) as url:
        page.goto(f"{url}#session={session}")
        waiting = page.locator('.column[data-status="queued"] .card.human')
        expect(waiting).to_be_visible(timeout=WAIT_MS)
        human = int(waiting.get_attribute("data-task-id"))
        expect(card(page, "blocked", task_id(home, session, "p1:synthesize"))).to_be_visible()
        page.locator('.file[data-path^="designs/"]').first.click()
        expect(page.locator("#viewer h1")).to_be_visible(timeout=WAIT_MS)
        waiting.locator("textarea").fill("Approved: the outline answers the request.")
        keep_screenshot(page, tmp_path)

        waiting.locator("button[type=submit]").click()

        expect(card(page, "done", human)).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#report-panel")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#report")).to_contain_text("What is missing", timeout=WAIT_MS)
        expect(page.locator("#session-status")).to_have_text("done", timeout=WAIT_MS)
        board = home / "blackboard" / session
        assert (board / "final" / "report.md").exists()
        answer = board / "findings" / f"answer--t{human}-a1.md"
        assert "Approved: the outline" in answer.read_text()
        page.locator(f'.file[data-path="findings/answer--t{human}-a1.md"]').click()
        expect(page.locator("#viewer")).to_contain_text("Approved: the outline")


def keep_screenshot(page: Any, tmp_path: Path) -> None:
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    wanted = os.environ.get("SWARM_DASHBOARD_SCREENSHOT")
    if wanted:
        shutil.copyfile(shot, wanted)


# A coding CLI whose change holds markup: the card must show it as text.
CODER = """
from pathlib import Path
Path("greet.py").write_text("print('<img src=x onerror=window.__pwned=1>')\\n")
"""
REVIEWER_PROMPT = "You review the coder's patch."
AGENT_CONFIG = f"""
[skills.coder]
command = ["{sys.executable}", "{{coder}}"]
workdir = "worktree"

[roles.coder]
skill = "coder"

[roles.reviewer]
skill = "agent"
prompt = "{REVIEWER_PROMPT}"
tools = ["list_blackboard", "read_blackboard", "finish"]
"""


def gated_reviewer(gate: Path) -> Any:
    """List the board, read the patch, then wait for the gate before finishing."""

    def reply(request: Request) -> Reply:
        if REVIEWER_PROMPT not in request.system:
            return answer_like_a_model(request)
        done = sum(1 for m in request.body["messages"] if m["role"] == "tool")
        if done == 0:
            return Answer("Looking.", tool_calls=(Call("list_blackboard"),))
        if done == 1:
            return Answer("", tool_calls=(Call("read_blackboard", {
                "path": next(p for p in request.body["messages"][-1]["content"].split()
                             if p.startswith("patches/"))}),))
        deadline = time.monotonic() + 50
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return Answer("", tool_calls=(Call("finish", {"summary": "Reviewed."}),))

    return reply


def test_an_agent_card_lists_its_steps_live_and_a_command_card_its_diff(
    tmp_path: Path, page: Any
) -> None:
    from playwright.sync_api import expect

    home = tmp_path / "ws"
    home.mkdir()
    (tmp_path / "coder.py").write_text(CODER)
    (home / "config.toml").write_text(AGENT_CONFIG.replace("{coder}", str(tmp_path / "coder.py")))
    plan = write_plan(tmp_path / "plan.toml", [
        {"id": "code", "role": "coder", "title": "Code"},
        {"id": "review", "role": "reviewer", "title": "Review", "depends_on": ["code"],
         "input": {"goal": "Review the patch."}}])
    gate = tmp_path / "gate"
    with fake_model(gated_reviewer(gate)) as server, \
            detached_session(home, "Code and review", "--plan", plan, "--corpus",
                             SAMPLE_CORPUS, "--repo", make_repo(tmp_path / "repo"),
                             env={"SWARM_LLM_BASE_URL": server.url,
                                  "SWARM_LLM_MODEL": "fake"}) as session, \
            dashboard_process(home) as url:
        page.goto(f"{url}#session={session}")
        review = card(page, "running", task_id(home, session, "review"))
        expect(review.locator(".detail")).to_be_visible(timeout=WAIT_MS)
        review.locator(".detail summary").click()
        expect(review.locator('.step[data-step="2"] .tool')).to_contain_text(
            "read_blackboard", timeout=WAIT_MS)
        expect(review.locator('.step[data-step="1"] .said')).to_have_text("Looking.")
        expect(review.locator('.step[data-step="1"] .step-head')).to_contain_text("tok")

        coder = card(page, "done", task_id(home, session, "code"))
        coder.locator(".detail summary").click()
        added = coder.locator(".diff-lines .line.add")
        expect(added).to_have_text("+print('<img src=x onerror=window.__pwned=1>')",
                                   timeout=WAIT_MS)
        assert coder.locator("img").count() == 0
        expect(coder.locator(".diff-lines .line.file").first).to_contain_text("diff --git")

        gate.touch()  # the third step arrives over the event stream, into the open card

        done = card(page, "done", task_id(home, session, "review"))
        expect(done.locator('.step[data-step="3"] .tool')).to_contain_text(
            "finish", timeout=WAIT_MS)
        expect(done.locator(".step")).to_have_count(3)
        assert page.evaluate("window.__pwned") is None
