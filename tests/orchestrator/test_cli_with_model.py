"""Sessions with a model, through the real command line and real worker processes,
against a fake model server on 127.0.0.1: thinking with it, a server that dies midway,
the token budget, replay of a recorded session, and the call limit across processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from blackboard import Blackboard, BlackboardFile
from support.cli import README_REQUEST, SAMPLE_CORPUS, swarm
from support.fake_llm import (
    PLANNER,
    RESEARCHER,
    Answer,
    Die,
    FakeModelServer,
    Request,
    answer_like_a_model,
    fake_model,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

RUN_TIMEOUT_S = 300


def model_env(server: FakeModelServer | None, **extra: str) -> dict[str, str]:
    """A fast-failing model configuration for the CLI and, through it, the workers."""
    env = {"SWARM_LLM_MODEL": "fake", "SWARM_LLM_RETRY_BASE_S": "0.05",
           "SWARM_LLM_MAX_RETRIES": "1", "SWARM_LLM_TIMEOUT_S": "20"}
    if server is not None:
        env["SWARM_LLM_BASE_URL"] = server.url
    return {**env, **extra}


def run(home: Path, env: dict[str, str], *args: str | Path
        ) -> tuple[subprocess.CompletedProcess[str], str]:
    result = swarm("run", README_REQUEST, "--corpus", SAMPLE_CORPUS, *args, home=home,
                   env=env, timeout=RUN_TIMEOUT_S)
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result, result.stdout.strip().splitlines()[0]


def body(home: Path, session_id: str, path: str) -> str:
    return Blackboard(home / "blackboard", session_id).read(path).body


def task_rows(home: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "swarm.db") as conn:
        return list(conn.execute("SELECT id, role, skill, status, error FROM tasks ORDER BY id"))


def test_a_session_thinks_with_the_model_and_shows_what_it_cost(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    with fake_model() as server:
        _, session_id = run(home, model_env(server, SWARM_LLM_API_KEY="sk-test"))

    assert "_Planned by the model `fake`._" in body(home, session_id, "plan.md")
    report = body(home, session_id, "final/report.md")
    assert "_Written by the model from the findings of 2 sub-questions" in report
    assert "| all | 6 | 0 | 66 | 42 |" in report
    assert {r.headers.get("Authorization") for r in server.requests} == {"Bearer sk-test"}
    assert all(r.body["stream"] for r in server.requests)
    status = swarm("status", session_id, home=home)
    assert "model: 6 calls, 66 tokens in, 42 out" in status.stdout
    assert "MODEL" in status.stdout.splitlines()[2]
    usage = json.loads(swarm("status", session_id, "--json", home=home).stdout)["usage"]
    assert usage["total"]["calls"] == 6


def test_a_model_server_that_dies_mid_session_still_gives_a_report(tmp_path: Path) -> None:
    home = tmp_path / "ws"

    def dies_after_planning(request: Request) -> Any:
        return answer_like_a_model(request) if PLANNER in request.system else Die()

    with fake_model(dies_after_planning) as server:
        _, session_id = run(home, model_env(server))

    report = body(home, session_id, "final/report.md")
    assert "_Assembled offline from the findings of 2 sub-questions" in report
    assert "_Note: The model could not be used" in report
    assert "## Tasks that failed or died" not in report  # none did: no plumbing shown
    assert {status for _, _, _, status, _ in task_rows(home)} == {"done"}


def test_a_spent_budget_cancels_the_rest_for_budget_and_the_report_is_written(
    tmp_path: Path,
) -> None:
    home = tmp_path / "ws"
    with fake_model() as server:
        # The planner's one call (18 tokens) spends the whole budget.
        _, session_id = run(home, model_env(server, SWARM_LLM_SESSION_TOKEN_BUDGET="10"))

    rows = task_rows(home)
    assert [(role, status) for _, role, _, status, _ in rows if status == "done"] == [
        ("planner", "done"), ("coordinator", "done")]
    cancelled = [(role, error) for _, role, _, status, error in rows if status == "cancelled"]
    assert cancelled == [("researcher", "budget"), ("researcher", "budget"),
                         ("architect", "budget"), ("critic", "budget")]
    assert server.count(PLANNER) == 1
    assert server.count(RESEARCHER) == 0
    report = body(home, session_id, "final/report.md")
    assert "the session's token budget is spent" in report
    assert "— cancelled: budget" in report
    assert "## Model usage" in report


def test_replay_reproduces_a_recorded_sessions_report_all_but_worker_and_time(
    tmp_path: Path,
) -> None:
    tape = tmp_path / "model-traffic.jsonl"
    with fake_model() as server:
        _, recorded = run(tmp_path / "recorded", model_env(server, SWARM_LLM_RECORD=str(tape)))
    asked = len(server.requests)

    _, replayed = run(tmp_path / "replayed", model_env(None, SWARM_LLM_REPLAY=str(tape)))

    assert len(server.requests) == asked
    assert len(tape.read_text().splitlines()) == asked
    original = report(tmp_path / "recorded", recorded)
    again = report(tmp_path / "replayed", replayed)
    assert "_Written by the model" in original.body
    # As the README says: the same body, byte for byte; in the front matter only which
    # worker wrote it and when differ.
    assert again.body == original.body
    assert original.front_matter is not None
    assert again.front_matter is not None
    assert again.front_matter.model_dump(exclude={"worker", "time"}) == \
        original.front_matter.model_dump(exclude={"worker", "time"})
    assert again.front_matter.time != original.front_matter.time


def report(home: Path, session_id: str) -> BlackboardFile:
    return Blackboard(home / "blackboard", session_id).read("final/report.md")


def test_the_call_limit_holds_across_worker_processes(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "config.toml").write_text("[llm]\nmax_concurrent = 2\n")
    questions = [f"How do leases work, case {n}?" for n in range(6)]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"tasks": [
        {"id": f"r{n}", "role": "researcher", "input": {"question": q}}
        for n, q in enumerate(questions)]}))

    def slow_researcher(request: Request) -> Any:
        if RESEARCHER in request.system:
            return Answer("Leases expire [1].", delay_s=0.3)
        return answer_like_a_model(request)

    with fake_model(slow_researcher) as server:
        run(home, model_env(server), "--plan", plan, "--workers", "researcher=4")

    assert server.count(RESEARCHER) == len(questions)
    assert 1 <= server.max_in_flight <= 2
