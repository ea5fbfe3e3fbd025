"""Tasks of role human: no worker ever takes one; `swarm answer` (or the board) does, and
`run --review` puts one between the design and the synthesis."""

from __future__ import annotations

import io
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from blackboard import Blackboard
from orchestrator.config import parse_config
from orchestrator.follow import Progress
from orchestrator.plan_file import PlanFileError, load_plan
from orchestrator.progress import PlainRenderer
from orchestrator.session_run import supervisor_config
from orchestrator.session_start import RunOptions, prepare
from orchestrator.workspace import Workspace
from skills import SkillRegistry
from skills.builtin.plan import build_offline_plan
from support.cli import (
    README_REQUEST,
    SAMPLE_CORPUS,
    assert_clean_error,
    cli_env,
    swarm,
    swarm_process,
)
from support.dashboard import in_store, seed_session
from taskqueue import HUMAN_ROLE, Message, NewTask, SqliteStore, TaskStatus
from taskqueue.plan_graph import check_plan_graph

PLAN = [
    NewTask(key="scan", role="researcher", title="Scan"),
    NewTask(key="ask", role=HUMAN_ROLE, title="Approve the scan", depends_on=["scan"],
            input={"question": "Is the scan good?"}),
    NewTask(key="end", role="coordinator", title="Report", depends_on=["ask"]),
    NewTask(key="free", role=HUMAN_ROLE, title="Say hello"),
]


def statuses(home: Path, *ids: int) -> list[TaskStatus]:
    async def get(store: SqliteStore) -> list[TaskStatus]:
        return [(await store.get_task(i)).status for i in ids]

    return in_store(home, get)


def finish(home: Path, task_id: int) -> None:
    async def run(store: SqliteStore) -> None:
        role = (await store.get_task(task_id)).role
        [task] = await store.claim("w", [role], 1, lease_s=30)
        await store.complete(task.id, task.attempt)

    in_store(home, run)


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, str, list[int]]:
    home = tmp_path / "ws"
    session_id, ids = seed_session(home, PLAN)
    return home, session_id, ids


def test_answer_writes_the_blackboard_and_releases_the_tasks_waiting(
    seeded: tuple[Path, str, list[int]],
) -> None:
    home, session_id, (scan, ask, end, _free) = seeded
    finish(home, scan)

    result = swarm("answer", str(ask), "Yes, ship it.", home=home, timeout=60)

    assert result.returncode == 0, result.stderr
    assert f"findings/answer--t{ask}-a1.md" in result.stdout
    assert statuses(home, ask, end) == [TaskStatus.DONE, TaskStatus.QUEUED]
    answer = Blackboard(home / "blackboard", session_id).read(f"findings/answer--t{ask}-a1.md")
    assert answer.front_matter is not None
    assert answer.front_matter.role == HUMAN_ROLE
    assert answer.front_matter.task == ask
    assert "Is the scan good?" in answer.body
    assert "Yes, ship it." in answer.body


def test_answer_dash_reads_standard_input(seeded: tuple[Path, str, list[int]]) -> None:
    home, _, (*_, free) = seeded
    result = swarm("answer", f"#{free}", "-", home=home, input_text="Hello from stdin\n",
                   timeout=60)
    assert result.returncode == 0, result.stderr
    assert statuses(home, free) == [TaskStatus.DONE]


@pytest.mark.parametrize(("task", "text", "fragments"), [
    ("abc", "x", ["TASK must be a task id", "'abc'"]),
    ("0", "x", ["TASK must be a task id"]),
    ("999", "x", ["no task 999"]),
    ("SCAN", "x", ["a 'researcher' task", "only tasks of role 'human'"]),
    ("ASK", "x", ["still waits for tasks"]),
    ("FREE", "   ", ["the answer is empty"]),
])
def test_answer_refuses_what_it_cannot_answer(
    seeded: tuple[Path, str, list[int]], task: str, text: str, fragments: list[str]
) -> None:
    home, _, (scan, ask, _end, free) = seeded
    task = {"SCAN": str(scan), "ASK": str(ask), "FREE": str(free)}.get(task, task)

    result = swarm("answer", task, text, home=home, timeout=60)

    assert_clean_error(result, *fragments)
    assert statuses(home, scan, ask, free) == [TaskStatus.QUEUED, TaskStatus.BLOCKED,
                                               TaskStatus.QUEUED]


def test_a_task_is_answered_only_once(seeded: tuple[Path, str, list[int]]) -> None:
    home, session_id, (*_, free) = seeded
    assert swarm("answer", str(free), "first", home=home, timeout=60).returncode == 0

    again = swarm("answer", str(free), "second", home=home, timeout=60)

    assert_clean_error(again, f"task {free} was already answered")
    text = Blackboard(home / "blackboard", session_id).read(f"findings/answer--t{free}-a1.md")
    assert "first" in text.body
    assert "second" not in text.body


def test_a_cancelled_task_takes_no_answer(seeded: tuple[Path, str, list[int]]) -> None:
    home, _, (*_, free) = seeded
    in_store(home, lambda store: store.cancel_task(free, "not needed"))
    assert_clean_error(swarm("answer", str(free), "late", home=home, timeout=60),
                       f"task {free} is cancelled")


def test_answer_needs_a_workspace(tmp_path: Path) -> None:
    assert_clean_error(swarm("answer", "1", "x", home=tmp_path / "none", timeout=60),
                       "no swarm workspace")


def test_the_supervisor_never_starts_workers_for_the_human_role(tmp_path: Path) -> None:
    config = parse_config({"roles": {HUMAN_ROLE: {"workers": 2}}}, "config.toml")
    session_id, _ = seed_session(tmp_path / "ws", [NewTask(role="researcher")])
    session = in_store(tmp_path / "ws", lambda store: store.get_session(session_id))

    roles = supervisor_config(Workspace(tmp_path / "ws"), config, session).roles

    assert HUMAN_ROLE not in roles
    assert "researcher" in roles


def test_workers_option_refuses_the_human_role(tmp_path: Path) -> None:
    result = swarm("run", "Scan", "--workers", "human=1", "--corpus", SAMPLE_CORPUS,
                   home=tmp_path / "ws", timeout=60)
    assert_clean_error(result, "human=1", "swarm answer")


def test_a_worker_refuses_to_start_for_the_human_role(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "worker", "--role", HUMAN_ROLE, "--home", str(tmp_path / "ws")],
        env=cli_env(), capture_output=True, text=True, timeout=60)
    assert_clean_error(result, "no worker runs role 'human'", "swarm answer")


def write_plan(tmp_path: Path, human_extra: str = "") -> Path:
    plan = tmp_path / "plan.toml"
    plan.write_text('[[tasks]]\nid = "scan"\nrole = "researcher"\ntitle = "Scan"\n'
                    '[[tasks]]\nid = "ok"\nrole = "human"\ntitle = "Approve"\n'
                    f'depends_on = ["scan"]\n{human_extra}')
    return plan


def test_a_plan_file_may_hold_human_tasks_without_workers_for_them(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.ensure_writable()
    _, options = prepare(ws, ws.config(), "Scan then approve",
                         RunOptions(plan=write_plan(tmp_path), corpus=SAMPLE_CORPUS))
    tasks = {t.key: t for t in options.initial_tasks}
    assert (tasks["ok"].role, tasks["ok"].skill) == (HUMAN_ROLE, None)
    assert "ok" in tasks["synthesize"].depends_on


def test_a_human_task_in_a_plan_file_runs_no_skill(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 'skill = "research"\n')
    with pytest.raises(PlanFileError, match="answered by a person and runs no skill"):
        load_plan(plan, request="r", roles=["researcher", "coordinator"],
                  registry=SkillRegistry.standard([], tmp_path), max_attempts=3)


def test_review_with_a_plan_file_is_refused(tmp_path: Path) -> None:
    result = swarm("run", "Scan", "--review", "--plan", write_plan(tmp_path),
                   "--corpus", SAMPLE_CORPUS, home=tmp_path / "ws", timeout=60)
    assert_clean_error(result, "--review", "add a task of role 'human'")


def test_review_puts_a_human_approval_between_the_design_and_the_synthesis() -> None:
    tasks = build_offline_plan("r", ["q1", "q2"], None, None, "p1:", review=True)
    by_key = {t.key: t for t in tasks}
    review = by_key["p1:review"]

    assert (review.role, review.skill, review.title) == (HUMAN_ROLE, None, "Review the design")
    assert review.depends_on == ["p1:design", "p1:critique"]
    assert "p1:review" in by_key["p1:synthesize"].depends_on
    check_plan_graph(tasks)
    assert "p1:review" not in {t.key for t in build_offline_plan("r", ["q"], None, None, "p:")}


def test_the_follower_says_how_to_answer_a_queued_human_task() -> None:
    out = io.StringIO()
    progress = Progress(session_id="s", started=time.time(), humans={9: "Review the design"})
    message = Message(id=1, time=time.time(), channel="session:s", kind="task.queued",
                      sender="t", body={"task_ids": [8, 9], "reason": "dependencies finished"})

    PlainRenderer(out).event(message, progress)

    assert 'task 9 waits for a human (Review the design): swarm answer 9 "..."' in out.getvalue()
    assert "task 8" not in out.getvalue()


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_run_review_waits_for_the_answer_then_writes_the_report(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    process = swarm_process("run", README_REQUEST, "--review", "--corpus", SAMPLE_CORPUS,
                            home=home)
    assert process.stdout is not None
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []],
                              daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 240
        waiting = None
        while waiting is None:
            line = lines.get(timeout=max(1.0, deadline - time.monotonic()))
            waiting = re.search(r'task (\d+) waits for a human .*swarm answer \1 "', line)
        task_id = waiting.group(1)
        answered = swarm("answer", task_id, "Approved: go ahead.", home=home, timeout=60)
        assert answered.returncode == 0, answered.stderr
        code = process.wait(timeout=240)
        reader.join(timeout=30)
        errors = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()
    assert code == 0, errors
    printed = list(lines.queue)
    report = Path(printed[-1].strip())
    assert report.name == "report.md"
    assert report.exists()
    assert (report.parent.parent / "findings" / f"answer--t{task_id}-a1.md").exists()
    quoted = report.read_text(encoding="utf-8").split("## What a human answered", 1)[1]
    assert f"**#{task_id} " in quoted
    assert "> Approved: go ahead." in quoted.split("## What is missing and why")[0]
