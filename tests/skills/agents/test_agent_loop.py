"""The `agent` skill's loop against a scripted model server on 127.0.0.1: tool calls over
several steps (whole and streamed answers), the JSON-in-text fallback, tool errors given
back to the model, `max_steps`, bounded fan-out, and every step traced."""

from __future__ import annotations

import json

import pytest

from support.fake_llm import Answer, Call
from tests.skills.agents.conftest import AgentHarness

pytestmark = pytest.mark.timeout(120)


def investigate_then_finish() -> tuple[Answer, ...]:
    return (
        Answer("", tool_calls=(Call("search_corpus", {"query": "lease expires"}, "c1"),)),
        Answer("Noting it.", tool_calls=(Call("write_blackboard", {
            "path": "notes/leases.md", "text": "Leases expire when a worker dies.",
            "sources": ["corpus"]}, "c2"),)),
        Answer("", tool_calls=(Call("finish", {"summary": "A note on leases is written."},
                                    "c3"),)),
    )


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
async def test_an_agent_calls_tools_over_several_steps_and_finishes(
        agents: AgentHarness, stream: bool) -> None:
    agents.configure(prompt="You investigate.", tools=["search_corpus", "write_blackboard",
                                                       "finish"], max_steps=5)
    agents.server.script(*investigate_then_finish())

    task, result = await agents.run("How do leases work?", stream=stream)

    assert result.summary == "A note on leases is written."
    assert result.data["finished"] is True
    assert result.data["steps"] == 3
    assert agents.read("notes/leases.md") == "Leases expire when a worker dies."
    first, second, third = (r.body for r in agents.server.requests)
    assert [t["function"]["name"] for t in first["tools"]] == [
        "search_corpus", "write_blackboard", "finish"]
    assert first["messages"][0] == {"role": "system", "content": "You investigate."}
    assert first["tools"][0]["function"]["parameters"]["required"] == ["query"]
    # The search's answer went back to the model as the tool's message.
    assistant, answered = second["messages"][2:4]
    assert assistant["tool_calls"][0]["function"]["name"] == "search_corpus"
    assert answered["role"] == "tool"
    assert answered["tool_call_id"] == "c1"
    assert ".md:" in answered["content"]
    assert third["messages"][-1]["content"] == "written: notes/leases.md"
    trace = agents.read(f"traces/task-{task.id}.md")
    assert "## Step 3" in trace
    assert "`search_corpus(" in trace
    assert "11 tokens in" in trace
    steps = await agents.messages("agent_step")
    assert [m.body["step"] for m in steps] == [1, 2, 3]
    assert steps[0].body["calls"][0]["tool"] == "search_corpus"
    assert steps[0].body["tokens_in"] == 11


async def test_a_server_without_tool_calls_is_driven_by_json_in_the_text(
        agents: AgentHarness) -> None:
    agents.configure(tools=["list_blackboard", "finish"], tool_mode="text")
    agents.server.script(
        Answer('```json\n{"tool": "list_blackboard", "arguments": {}}\n```'),
        Answer('{"tool": "finish", "arguments": {"summary": "Looked around."}}'))

    _, result = await agents.run("Look at the board")

    assert result.summary == "Looked around."
    first, second = (r.body for r in agents.server.requests)
    assert "tools" not in first
    assert '{"tool": "NAME", "arguments": {...}}' in first["messages"][0]["content"]
    assert second["messages"][-1]["role"] == "user"
    assert second["messages"][-1]["content"].startswith("The tool list_blackboard answered:")


async def test_a_tool_error_goes_back_to_the_model_as_the_tools_answer(
        agents: AgentHarness) -> None:
    agents.configure(tools=["read_blackboard", "finish"])
    agents.server.script(
        Answer("", tool_calls=(Call("read_blackboard", {"path": "nowhere.md"}),)),
        Answer("", tool_calls=(Call("read_blackboard", {"wrong": 1}),)),
        Answer("", tool_calls=(Call("no_such_tool", {}),)),
        Answer("I could not find it."))

    task, result = await agents.run("Read a file")

    answers = [r.body["messages"][-1]["content"] for r in agents.server.requests[1:]]
    assert answers[0].startswith("error: ")
    assert "nowhere.md" in answers[0]
    assert "path: Field required" in answers[1]
    assert "wrong: Extra inputs" in answers[1]
    assert answers[2].startswith("error: no tool named 'no_such_tool'")
    assert result.summary == "I could not find it."
    assert "(failed)" in agents.read(f"traces/task-{task.id}.md")


async def test_an_agent_that_reaches_max_steps_stops_with_a_clear_note(
        agents: AgentHarness) -> None:
    agents.configure(tools=["list_blackboard", "finish"], max_steps=2)
    looping = Answer("", tool_calls=(Call("list_blackboard"),))
    agents.server.script(looping, looping, looping)

    task, result = await agents.run("Never finish")

    assert len(agents.server.requests) == 2
    assert result.data["finished"] is False
    assert "stopped after 2 steps (max_steps)" in result.summary
    assert "stopped after 2 steps" in agents.read(f"traces/task-{task.id}.md")


async def test_spawned_tasks_are_bounded_in_number_and_carry_their_depth(
        agents: AgentHarness) -> None:
    agents.configure(tools=["spawn_task", "finish"], max_spawn=1)
    spawn = Call("spawn_task", {"role": "investigator", "title": "dig", "input": {"goal": "g"}})
    agents.server.script(Answer("", tool_calls=(spawn,)), Answer("", tool_calls=(spawn,)),
                         Answer("Done."))

    task, result = await agents.run("Fan out")

    answers = [r.body["messages"][-1]["content"] for r in agents.server.requests[1:]]
    assert answers[0].startswith("added task ")
    assert answers[1] == "error: this task may add at most 1 tasks"
    children = [t for t in await agents.store.list_tasks(agents.session_id) if t.id != task.id]
    assert [c.input for c in children] == [{"goal": "g", "spawn_depth": 1}]
    assert result.data["spawned"] == [children[0].id]


async def test_an_answer_without_a_tool_call_ends_the_task_with_that_answer(
        agents: AgentHarness) -> None:
    agents.configure()
    agents.server.script(Answer("Nothing to do."))
    _, result = await agents.run("Say so")
    assert result.summary == "Nothing to do."
    body = json.dumps(agents.server.requests[0].body["tools"])
    assert "ask_human" not in body
    assert "search_corpus" in body
