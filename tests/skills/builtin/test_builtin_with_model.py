"""The built-in skills with a model (a real HTTP fake server): the planner's JSON plan,
its repair round and offline fallback; research answers citing passages; the writers;
and every skill going on offline, with a note, when the model fails."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from skills import SkillResult, TaskContext, run_skill
from skills.llm import ModelEndpoint
from skills.roles import goes_on_when_budget_spent
from skills.writing.findings import parse_findings
from support.fake_llm import (
    GOOD_PLAN,
    PLANNER,
    RESEARCHER,
    Answer,
    FakeModelServer,
    Hang,
    Malformed,
    Request,
    Status,
    answer_like_a_model,
    fast_config,
)
from taskqueue import Task, TaskStatus

# The `harness` fixture (conftest.py): a real store, blackboard and indexed corpus.
Harness = Any
# The roles of a plan, in the order their tasks become ready.
ROLES = ("planner", "researcher", "analyst", "architect", "critic", "coordinator")

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def endpoint(server: FakeModelServer, harness: Harness) -> AsyncIterator[ModelEndpoint]:
    opened = ModelEndpoint(fast_config(server.url, timeout_s=1.0, max_retries=1),
                           harness.store, owner="w", keeps_running=goes_on_when_budget_spent)
    yield opened
    await opened.close()


async def run(harness: Harness, task: Task, endpoint: ModelEndpoint) -> SkillResult:
    """One attempt as a worker with a model runs it, its outcome recorded."""
    spec = harness.registry.for_task(task.skill, task.role)
    ctx = TaskContext(harness.store, task, worker_id="w", skill=spec.name, board=harness.board)
    ctx.llm = endpoint.for_task(task, ctx.progress_note)
    result = await run_skill(spec, ctx, timeout_s=120)
    assert await harness.store.complete(task.id, task.attempt, result.model_dump(mode="json"))
    return result


async def run_all(harness: Harness, endpoint: ModelEndpoint) -> list[Task]:
    ran: list[Task] = []
    while True:
        for role in ROLES:
            task = await harness.claim(role)
            if task is not None:
                break
        else:
            return ran
        await run(harness, task, endpoint)
        ran.append(task)


async def plan(harness: Harness, endpoint: ModelEndpoint) -> tuple[SkillResult, str]:
    await harness.enqueue("planner", harness.plan_input(), title="Plan the work")
    task = await harness.claim("planner")
    assert task is not None
    result = await run(harness, task, endpoint)
    return result, harness.board.read("plan.md").body


async def test_the_models_plan_is_enqueued_with_inputs_filled_and_a_synthesis_added(
    harness: Harness, endpoint: ModelEndpoint, server: FakeModelServer,
) -> None:
    result, plan_md = await plan(harness, endpoint)

    tasks = {t.key: t for t in await harness.tasks() if t.role != "planner"}
    assert sorted(tasks) == ["p1:crashes", "p1:critique", "p1:design", "p1:retries",
                             "p1:synthesize"]
    questions = ["How do task queues survive worker crashes?",
                 "Compare retries with backoff and leases"]
    assert result.data["questions"] == questions
    assert tasks["p1:crashes"].input == {"question": questions[0],
                                         "corpus": str(harness.corpus),
                                         "index": str(harness.index)}
    synthesize = tasks["p1:synthesize"]
    assert synthesize.run_on_partial
    assert synthesize.input == {"request": harness.plan_input()["request"],
                                "questions": questions}
    assert sorted(synthesize.depends_on) == sorted(
        t.id for k, t in tasks.items() if k != "p1:synthesize")
    assert "_Planned by the model `fake`._" in plan_md
    [asked] = server.requests
    assert asked.body["response_format"] == {"type": "json_object"}


async def test_an_invalid_plan_gets_one_repair_round_with_the_reasons(
    harness: Harness, endpoint: ModelEndpoint, server: FakeModelServer,
) -> None:
    wrong = {"tasks": [{"id": "a", "role": "writer", "title": "Write"},
                       {"id": "b", "role": "researcher", "depends_on": ["zzz"]}]}
    server.script(Answer(json.dumps(wrong)), Answer(f"```json\n{json.dumps(GOOD_PLAN)}\n```"))

    _, plan_md = await plan(harness, endpoint)

    assert len(server.requests) == 2
    repair = server.requests[1].body["messages"]
    assert repair[-2] == {"role": "assistant", "content": json.dumps(wrong)}
    assert "refused" in repair[-1]["content"]
    assert "role 'writer'" in repair[-1]["content"]
    assert "after one repair round" in plan_md
    assert "p1:crashes" in {t.key for t in await harness.tasks()}


@pytest.mark.parametrize("answers", [
    ["not json at all", "{\"tasks\": []}"],
    ['{"tasks": [{"id": "x", "role": "researcher", "input": {"question": "q"}, '
     '"depends_on": ["x"]}]}', '{"plan": "none"}'],
])
async def test_a_plan_refused_twice_hands_over_to_the_offline_planner(
    harness: Harness, endpoint: ModelEndpoint, server: FakeModelServer, answers: list[str],
) -> None:
    server.script(*[Answer(a) for a in answers])

    result, plan_md = await plan(harness, endpoint)

    assert len(server.requests) == 2
    assert result.data["questions"] == ["How do task queues survive worker crashes?",
                                        "Compare retries with backoff and leases",
                                        "What should a dead-letter queue hold?"]
    assert "p1:research-1" in {t.key for t in await harness.tasks()}
    assert "the offline planner made this plan" in plan_md
    assert "no repair round is left" in plan_md


async def test_a_planner_whose_model_is_down_plans_offline_and_says_so(
    harness: Harness, endpoint: ModelEndpoint, server: FakeModelServer,
) -> None:
    server.script(*[Status(503)] * 4)

    _, plan_md = await plan(harness, endpoint)

    assert "p1:research-1" in {t.key for t in await harness.tasks()}
    assert "could not be used" in plan_md
    assert "HTTP 503" in plan_md


async def research(harness: Harness, endpoint: ModelEndpoint) -> tuple[str, SkillResult]:
    question = "How do leases and heartbeats survive worker crashes?"
    await harness.enqueue("researcher", {"question": question, "corpus": str(harness.corpus),
                                         "index": str(harness.index)})
    task = await harness.claim("researcher")
    assert task is not None
    result = await run(harness, task, endpoint)
    return harness.board.read(result.files[0]).body, result


async def test_research_answers_from_the_passages_and_keeps_only_real_citations(
    harness: Harness, endpoint: ModelEndpoint, server: FakeModelServer,
) -> None:
    server.script(Answer("Leases expire [1]. Heartbeats extend them [2, 3]. "
                         "Made up [9] and [nowhere.md:3]."))

    body, result = await research(harness, endpoint)

    citations = result.data["citations"]
    answer = body.split("## Answer")[1].split("## 1.")[0]
    assert f"Leases expire [{citations[0]}]." in answer
    assert f"Heartbeats extend them [{citations[1]}][{citations[2]}]." in answer
    assert "Made up and." in answer
    assert "[9]" not in answer
    assert "nowhere.md" not in answer
    assert [p.citation for p in parse_findings(body).passages] == citations
    prompt = server.requests[0]
    assert RESEARCHER in prompt.system
    assert f"[1] {citations[0]}" in prompt.user


@pytest.mark.parametrize("reply", [Hang(30), Malformed(), Answer("No citation at all.")])
async def test_research_goes_on_offline_with_a_note_when_the_model_fails(
    harness: Harness, endpoint: ModelEndpoint, server: FakeModelServer, reply: Any,
) -> None:
    server.script(reply, reply)

    body, result = await research(harness, endpoint)

    assert "## Answer" not in body
    assert "_Note: " in body
    assert "the passages alone are kept" in body
    assert len(parse_findings(body).passages) == len(result.data["citations"]) > 0


async def test_a_session_with_a_model_writes_every_stage_with_it(
    harness: Harness, endpoint: ModelEndpoint, server: FakeModelServer,
) -> None:
    await harness.enqueue("planner", harness.plan_input(), title="Plan the work")

    ran = await run_all(harness, endpoint)

    assert [t.role for t in ran] == ["planner", "researcher", "researcher", "architect",
                                     "critic", "coordinator"]
    assert all(t.status is TaskStatus.DONE for t in await harness.tasks())
    board = harness.board
    [design] = board.list("designs")
    assert "Written by the model" in board.read(design).body
    [critique] = board.list("critiques")
    assert "## The model's review" in board.read(critique).body
    report = board.read("final/report.md").body
    assert "_Written by the model from the findings of 2 sub-questions" in report
    assert "## Model usage" in report
    assert "| all | 6 | 0 | 66 | 42 |" in report
    for marker in (PLANNER, RESEARCHER):
        assert server.count(marker) >= 1


async def test_writers_go_on_offline_with_a_note_when_the_model_dies_after_planning(
    harness: Harness, endpoint: ModelEndpoint, server: FakeModelServer,
) -> None:
    def planner_only(request: Request) -> Any:
        if PLANNER in request.system:
            return answer_like_a_model(request)
        return Status(500)

    server.handler = planner_only
    await harness.enqueue("planner", harness.plan_input(), title="Plan the work")

    await run_all(harness, endpoint)

    assert all(t.status is TaskStatus.DONE for t in await harness.tasks())
    board = harness.board
    report = board.read("final/report.md").body
    assert report.count("_Note: The model could not be used (HTTP 500") == 1
    assert "_Assembled offline from the findings of 2 sub-questions" in report
    assert "| all | 6 | 5 |" in report
    [design] = board.list("designs")
    assert "the outline was made offline" in board.read(design).body
