"""`analyze`, `design`, `critique` and `synthesize` in a real session, on the findings of
real research over the sample corpus, whole or partial."""

from __future__ import annotations

from typing import Any

import pytest

from skills import BadSkillInput
from skills.builtin.critique import uncited_statements
from skills.writing.findings import parse_findings
from taskqueue import TaskStatus

QUESTIONS = ["How do task queues survive worker crashes?",
             "What should a dead-letter queue hold?"]
UNANSWERED = "Why do zebras xylophone quasars?"


async def research_all(harness: Any, questions: list[str]) -> None:
    for question in questions:
        await harness.enqueue("researcher", {"question": question, "corpus": str(harness.corpus),
                                             "index": str(harness.index)}, title=question)
        await harness.run_and_complete(await harness.claim("researcher"))


async def run_role(harness: Any, role: str, given: dict[str, Any]) -> tuple[Any, str]:
    """Run one task of `role`; returns its result and the body of the file it wrote."""
    await harness.enqueue(role, given)
    result = await harness.run_and_complete(await harness.claim(role))
    return result, harness.board.read(result.files[0]).body


def inputs(questions: list[str]) -> dict[str, Any]:
    return {"request": "Crashes and dead letters", "questions": questions}


async def test_analysis_grades_each_question_and_names_what_recurs(harness: Any) -> None:
    await research_all(harness, QUESTIONS)
    result, text = await run_role(harness, "analyst", inputs([*QUESTIONS, UNANSWERED]))
    assert result.files[0].startswith("analysis/analysis--t")
    assert f"1. {QUESTIONS[0]} — strong (5 passages from 4 files)" in text
    assert f"3. {UNANSWERED} — none (no passage found)" in text
    assert "2 with strong evidence, 0 weak, 1 none" in text
    assert "- `dead-letter-queues.md`: 3 passages" in text
    terms = text.split("## Key terms that recur")[1]
    assert "- task: in " in terms
    assert result.data["strength"][UNANSWERED] == "none"


async def test_design_outlines_a_section_per_question_from_the_findings(harness: Any) -> None:
    await research_all(harness, QUESTIONS)
    findings = [parse_findings(harness.board.read(p).body)
                for p in harness.board.list("findings")]
    result, text = await run_role(harness, "architect", inputs([*QUESTIONS, UNANSWERED]))
    assert result.files[0].startswith("designs/design--t")
    sections = text.split("\n## ")[1:]
    assert [s.splitlines()[0] for s in sections] == [
        f"1. {QUESTIONS[0]}", f"2. {QUESTIONS[1]}", f"3. {UNANSWERED}"]
    for section, found in zip(sections, findings, strict=False):
        bullets = [line for line in section.splitlines() if line.startswith("- ")]
        assert bullets == [line for line in bullets if line.endswith("]")]
        cited = [b.rsplit("[", 1)[1].rstrip("]") for b in bullets]
        assert cited == [p.citation for p in found.passages[:3]]
    assert "No evidence found" in sections[2]
    assert uncited_statements(text) == []


async def test_critique_names_missing_evidence_disagreements_and_uncited_claims(
    harness: Any,
) -> None:
    await research_all(harness, QUESTIONS)
    harness.board.write("designs/hand-written.md",
                        "# Design\n\n- Leases survive crashes [leases-and-heartbeats.md:1-8]\n"
                        "- Everyone agrees retries are free\n")
    result, text = await run_role(harness, "critic", inputs([*QUESTIONS, UNANSWERED]))
    assert result.files[0].startswith("critiques/critique--t")
    without = text.split("## Sub-questions without evidence")[1].split("## ")[0]
    assert UNANSWERED in without
    assert QUESTIONS[0] not in without
    disagree = text.split("## Passages that may disagree")[1].split("## ")[0]
    assert "[dead-letter-queues.md:13-23]" in disagree
    assert "[operations-field-notes.md:16-18]" in disagree
    uncited = text.split("## Statements without a citation")[1]
    assert "- designs/hand-written.md: Everyone agrees retries are free" in uncited
    assert "Leases survive crashes" not in uncited


async def test_critique_without_a_design_says_it_is_missing(harness: Any) -> None:
    await research_all(harness, QUESTIONS[:1])
    _, text = await run_role(harness, "critic", inputs(QUESTIONS[:1]))
    assert "## The design is missing" in text


async def test_synthesis_with_nothing_on_the_board_still_writes_a_report(harness: Any) -> None:
    result, text = await run_role(harness, "coordinator", {})
    assert result.files == ["final/report.md"]
    assert text.startswith("# Report\n")
    assert "No findings are on the blackboard" in text
    assert "No critique is on the blackboard" in text
    assert "## Tasks that failed or died" not in text


async def test_synthesis_lists_a_dead_research_task_and_what_it_cost(harness: Any) -> None:
    await harness.enqueue("planner", harness.plan_input(
        "How do task queues survive worker crashes? What should a dead-letter queue hold?",
        max_attempts=1))
    await harness.run_and_complete(await harness.claim("planner"))
    doomed = await harness.claim("researcher")
    status = await harness.store.fail(
        doomed.id, doomed.attempt, "Traceback (most recent call last):\n  ...\n"
        "RuntimeError: the index is locked\n")
    assert status == TaskStatus.DEAD
    await harness.run_session()
    tasks = {t.key.split(":")[1]: t for t in await harness.tasks() if t.key}
    assert tasks["synthesize"].status == TaskStatus.DONE
    report = harness.board.read("final/report.md").body
    failed = report.split("## Tasks that failed or died")[1].split("## Sources")[0]
    assert (f"- #{doomed.id} researcher \"{doomed.title}\" — dead after 1 of 1 attempts: "
            "RuntimeError: the index is locked") in failed
    for cancelled in ("analyze", "design", "critique"):
        assert f"#{tasks[cancelled].id} " in failed
    missing = report.split("## What is missing and why")[1].split("## Tasks")[0]
    assert f"its research task #{doomed.id} ended dead: RuntimeError: the index is locked" in (
        missing)
    assert "No critique is on the blackboard" in missing
    answered = report.split("## 2. ")[1].split("## ")[0]
    assert "[dead-letter-queues.md:" in answered


async def test_synthesis_quotes_what_a_human_answered(harness: Any) -> None:
    asked = await harness.enqueue("human", {"question": "Ship the outline?"},
                                  title="Review the design")
    unanswered = await harness.enqueue("human", {}, title="Pick a name")
    answer = "Approved, with one change:\n\nkeep the dead-letter section short."
    assert await harness.store.answer_task(asked, {"answer": answer,
                                                   "file": "findings/answer--t1-a1.md"})

    _, text = await run_role(harness, "coordinator", inputs(QUESTIONS))

    quoted = text.split("## What a human answered\n\n")[1].split("## What is missing")[0]
    assert quoted == (f"**#{asked} Review the design** (`findings/answer--t1-a1.md`)\n\n"
                      "> Approved, with one change:\n>\n"
                      "> keep the dead-letter section short.\n\n")
    assert f"#{unanswered} human \"Pick a name\" — still queued" in text


async def test_a_retried_synthesis_overwrites_its_own_report(harness: Any) -> None:
    await harness.enqueue("coordinator", inputs(QUESTIONS), max_attempts=2)
    first = await harness.claim("coordinator")
    await harness.run(first)
    harness.clock.advance(120)
    await harness.store.requeue_expired()
    await research_all(harness, QUESTIONS[:1])
    second = await harness.claim("coordinator")
    assert second.attempt == 2
    await harness.run_and_complete(second)
    report = harness.board.read("final/report.md")
    assert report.front_matter.attempt == 2
    assert "[leases-and-heartbeats.md:" in report.body


@pytest.mark.parametrize("role", ["analyst", "architect", "critic", "coordinator"])
@pytest.mark.parametrize(("given", "field"), [
    ({"questions": "not a list"}, "input.questions"),
    ({"questions": ["ok", "  "]}, "input.questions.1"),
    ({"question": "singular"}, "input.question"),
])
async def test_bad_input_of_a_later_skill_fails_naming_the_field(
    harness: Any, role: str, given: dict[str, Any], field: str
) -> None:
    await harness.enqueue(role, given)
    with pytest.raises(BadSkillInput, match=field):
        await harness.run(await harness.claim(role))
