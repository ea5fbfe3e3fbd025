"""An agent role in a real session: config.toml makes `investigator` an agent, a plan
file gives it a goal, and real worker processes run it against a scripted model server."""

from __future__ import annotations

from pathlib import Path

import pytest

from blackboard import Blackboard
from support.cli import SAMPLE_CORPUS, assert_clean_error, swarm, write_plan
from support.fake_llm import Answer, Call, Reply, Request, fake_model

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

AGENT_ROLE = """
[roles.investigator]
skill = "agent"
prompt = "You investigate the corpus and leave a note on the blackboard."
tools = [{tools}]
max_steps = 8
"""


def agent_home(tmp_path: Path, tools: str) -> Path:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "config.toml").write_text(AGENT_ROLE.format(tools=tools), encoding="utf-8")
    return home


def investigator(request: Request) -> Reply:
    """Search, write a note, finish: the step is read from the messages so far."""
    done = sum(1 for m in request.body["messages"] if m["role"] == "tool")
    if done == 0:
        return Answer("", tool_calls=(Call("search_corpus", {"query": "dead letter queue"}),))
    if done == 1:
        return Answer("", tool_calls=(Call("write_blackboard", {
            "path": "notes/dlq.md", "text": "A dead-letter queue holds failed tasks."}),))
    return Answer("", tool_calls=(Call("finish", {"summary": "Noted what a DLQ holds."}),))


def test_a_configured_agent_role_investigates_in_a_real_session(tmp_path: Path) -> None:
    home = agent_home(tmp_path, '"search_corpus", "read_lines", "write_blackboard", "finish"')
    plan = write_plan(tmp_path / "plan.toml", [
        {"id": "look", "role": "investigator", "title": "What does a DLQ hold?",
         "input": {"goal": "Find out what a dead-letter queue holds."}}])
    with fake_model(investigator) as server:
        result = swarm("run", "dlq", "--plan", plan, "--corpus", SAMPLE_CORPUS, home=home,
                       env={"SWARM_LLM_BASE_URL": server.url, "SWARM_LLM_MODEL": "fake"},
                       timeout=240)
    assert result.returncode == 0, (result.stdout, result.stderr)
    session_id = result.stdout.strip().splitlines()[0]
    board = Blackboard(home / "blackboard", session_id)
    assert board.read("notes/dlq.md").body == "A dead-letter queue holds failed tasks."
    trace = next(p for p in board.list("traces"))
    assert "`finish(" in board.read(trace).body
    assert len(server.requests) == 3


def test_an_unknown_tool_in_config_stops_the_run_with_one_line(tmp_path: Path) -> None:
    home = agent_home(tmp_path, '"search_corpus", "serch_corpus"')
    plan = write_plan(tmp_path / "plan.toml", [
        {"id": "look", "role": "investigator", "input": {"goal": "g"}}])
    result = swarm("run", "x", "--plan", plan, "--corpus", SAMPLE_CORPUS, home=home)
    assert_clean_error(result, "config.toml: roles.investigator.tools: no tool named "
                               "'serch_corpus'")
