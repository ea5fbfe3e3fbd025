"""Agent roles in config.toml: bad keys and unknown tools are one-line errors naming the
file and key; a skill file adds a tool from a typed function; record and replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config import ConfigError, parse_config
from skills.errors import SkillLoadError
from support.fake_llm import Answer, Call
from tests.skills.agents.conftest import SAMPLE_CORPUS, AgentHarness

pytestmark = pytest.mark.timeout(120)

CORPUS_FILE = sorted(p.name for p in SAMPLE_CORPUS.glob("*.md"))[0]
TOOL_FILE = '''
from skills.agents import tool


@tool
def shout(text: str, times: int = 1) -> str:
    """Say `text` louder."""
    return (text.upper() + "! ") * times
'''


def test_an_unknown_tool_is_one_line_naming_file_key_and_tool(agents: AgentHarness) -> None:
    with pytest.raises(SkillLoadError) as caught:
        agents.configure(tools=["serch_corpus", "finish"])
    message = str(caught.value)
    assert message.startswith(f"{agents.home / 'config.toml'}: roles.investigator.tools: "
                              "no tool named 'serch_corpus' (known: ")
    assert "\n" not in message


def test_an_unknown_role_skill_is_named(agents: AgentHarness) -> None:
    with pytest.raises(SkillLoadError, match=r"roles\.investigator\.skill: no skill named "
                                             r"'nothing'"):
        agents.registry.add_configured(agents.workspace(
            {"roles": {"investigator": {"skill": "nothing"}}}))


@pytest.mark.parametrize(("table", "reason"), [
    ({"prompt": "hi"}, "roles.investigator: Value error, prompt is an agent's setting; "
                       'add skill = "agent"'),
    ({"skill": "agent", "max_steps": 0}, "roles.investigator.max_steps: Input should be "
                                         "greater than or equal to 1"),
    ({"skill": "agent", "tool_mode": "smoke"}, "roles.investigator.tool_mode: Input should "
                                               "be 'native' or 'text'"),
])
def test_bad_agent_keys_are_refused_by_the_workspace_config(
        table: dict[str, object], reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"roles": {"investigator": table}}, "ws/config.toml")
    assert str(caught.value) == f"ws/config.toml: {reason}"


def test_an_agent_role_parses_with_its_workers(agents: AgentHarness) -> None:
    config = parse_config({"roles": {"investigator": {
        "skill": "agent", "prompt": "Investigate.", "tools": ["finish"], "max_steps": 3,
        "workers": 2}}}, "ws/config.toml")
    role = config.roles["investigator"]
    assert role.workers == 2
    assert role.agent_settings().max_steps == 3


async def test_a_skill_file_adds_a_tool_from_a_typed_function(
        agents: AgentHarness, tmp_path: Path) -> None:
    folder = tmp_path / "skills"
    folder.mkdir()
    (folder / "loud.py").write_text(TOOL_FILE, encoding="utf-8")
    agents.registry.add_directory(folder)
    agents.configure(tools=["shout", "finish"])
    agents.server.script(Answer("", tool_calls=(Call("shout", {"text": "hey", "times": 2}),)),
                         Answer("Shouted."))

    await agents.run("Shout")

    schema = agents.server.requests[0].body["tools"][0]["function"]
    assert schema["name"] == "shout"
    assert schema["description"] == "Say `text` louder."
    assert schema["parameters"]["properties"]["times"] == {
        "default": 1, "title": "Times", "type": "integer"}
    assert agents.server.requests[1].body["messages"][-1]["content"] == "HEY! HEY! "


async def test_a_recorded_agent_replays_without_the_server(
        agents: AgentHarness, tmp_path: Path) -> None:
    agents.configure(tools=["read_lines", "finish"])
    tape = tmp_path / "tape.jsonl"
    read = Call("read_lines", {"file": CORPUS_FILE, "start": 1, "end": 3})
    agents.server.script(Answer("", tool_calls=(read,)),
                         Answer("", tool_calls=(Call("finish", {"summary": "Seen."}),)))
    _, recorded = await agents.run("Look", record=tape)
    asked = len(agents.server.requests)

    _, replayed = await agents.run("Look", replay=tape)

    assert len(agents.server.requests) == asked
    assert replayed.summary == recorded.summary == "Seen."
