"""The offline plan as data: its graph, priorities and inputs, and how plan.md shows it."""

from __future__ import annotations

import pytest

from skills.builtin.plan import build_offline_plan, plan_key_prefix
from skills.writing.plan_md import render_plan_md
from taskqueue import NewTask
from taskqueue.plan_graph import check_plan_graph

QUESTIONS = ["How do leases work?", "Compare retries with backoff", "What goes in a DLQ?"]


def plan(questions: list[str] | None = None, **overrides: object) -> list[NewTask]:
    arguments: dict[str, object] = {
        "request": "the request", "questions": QUESTIONS if questions is None else questions,
        "corpus": "/c", "index": "/c.db", "key_prefix": "p7:", "max_attempts": 3,
        "timeout_s": None,
    }
    arguments.update(overrides)
    return build_offline_plan(**arguments)  # type: ignore[arg-type]


def by_key(tasks: list[NewTask]) -> dict[str, NewTask]:
    return {t.key: t for t in tasks if t.key}


def test_one_research_task_per_sub_question_then_the_four_stages() -> None:
    tasks = plan()
    assert [t.key for t in tasks] == [
        "p7:research-1", "p7:research-2", "p7:research-3",
        "p7:analyze", "p7:design", "p7:critique", "p7:synthesize",
    ]
    assert [(t.role, t.skill) for t in tasks] == [
        ("researcher", "research")] * 3 + [
        ("analyst", "analyze"), ("architect", "design"), ("critic", "critique"),
        ("coordinator", "synthesize")]
    check_plan_graph(tasks)  # keys unique, dependencies known, no cycle


def test_research_priority_falls_with_the_order_of_the_questions() -> None:
    research = [t for t in plan() if t.role == "researcher"]
    priorities = [t.priority for t in research]
    assert priorities == sorted(priorities, reverse=True)
    assert len(set(priorities)) == len(priorities)
    assert [t.title for t in research] == QUESTIONS


def test_research_input_carries_its_question_and_the_corpus() -> None:
    research = by_key(plan())["p7:research-2"]
    assert research.input == {"question": QUESTIONS[1], "corpus": "/c", "index": "/c.db"}
    assert research.depends_on == []


def test_dependencies_run_research_then_analysis_and_design_then_critique() -> None:
    tasks = by_key(plan())
    research = ["p7:research-1", "p7:research-2", "p7:research-3"]
    assert tasks["p7:analyze"].depends_on == research
    assert tasks["p7:design"].depends_on == research
    assert set(tasks["p7:critique"].depends_on) == {"p7:design", "p7:analyze"}
    assert set(tasks["p7:synthesize"].depends_on) == {
        *research, "p7:analyze", "p7:design", "p7:critique"}


def test_only_the_synthesis_runs_on_partial_input() -> None:
    assert [t.key for t in plan() if t.run_on_partial] == ["p7:synthesize"]


def test_later_stages_get_the_request_and_every_question() -> None:
    for key in ("p7:analyze", "p7:design", "p7:critique", "p7:synthesize"):
        assert by_key(plan())[key].input == {"request": "the request", "questions": QUESTIONS}


def test_attempts_and_timeout_apply_to_every_task() -> None:
    tasks = plan(max_attempts=5, timeout_s=42.0)
    assert {(t.max_attempts, t.timeout_s) for t in tasks} == {(5, 42.0)}


def test_a_single_question_gives_a_plan_of_five_tasks() -> None:
    tasks = plan(["Why?"])
    assert len(tasks) == 5
    check_plan_graph(tasks)


def test_key_prefix_names_the_planning_task() -> None:
    assert plan_key_prefix(12) == "p12:"
    assert all(t.key and t.key.startswith("p12:") for t in plan(key_prefix="p12:"))


def test_plan_md_has_a_row_per_task_with_its_dependencies() -> None:
    text = render_plan_md(plan())
    rows = [line for line in text.splitlines() if line.startswith("| p7:")]
    assert len(rows) == 7
    assert "| p7:research-1 | researcher | research | How do leases work? | — |" in rows
    assert ("| p7:critique | critic | critique | Critique the outline | "
            "p7:design, p7:analyze |") in rows


def test_plan_md_indents_each_task_by_its_depth_in_the_graph() -> None:
    text = render_plan_md(plan())
    view = text.split("```")[1].strip("\n").splitlines()
    depth = {line.strip().split()[1]: (len(line) - len(line.lstrip())) // 2 for line in view}
    assert depth == {"p7:research-1": 0, "p7:research-2": 0, "p7:research-3": 0,
                     "p7:analyze": 1, "p7:design": 1, "p7:critique": 2, "p7:synthesize": 3}
    assert "(runs on partial input)" in view[-1]


@pytest.mark.parametrize("title", ["a | b", "line one\nline two"])
def test_plan_md_keeps_one_row_per_task_whatever_the_title(title: str) -> None:
    tasks = [NewTask(key="a", role="researcher", title=title),
             NewTask(key="b", role="coordinator", depends_on=["a", 3])]
    text = render_plan_md(tasks)
    rows = [line for line in text.splitlines() if line.startswith("| a ") or
            line.startswith("| b ")]
    assert len(rows) == 2
    assert rows[1].endswith("| a, #3 |")
    assert "(role default)" in rows[1]


def test_plan_md_survives_a_cycle() -> None:
    tasks = [NewTask(key="a", role="r", depends_on=["b"]),
             NewTask(key="b", role="r", depends_on=["a"])]
    assert "- a" in render_plan_md(tasks)
