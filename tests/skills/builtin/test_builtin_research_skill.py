"""The `research` skill in a real session: findings that cite the corpus exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skills import BadSkillInput, Fail
from skills.writing.findings import parse_findings
from taskqueue import session_channel


def research_input(harness: Any, question: str, **extra: Any) -> dict[str, Any]:
    return {"question": question, "corpus": str(harness.corpus), "index": str(harness.index),
            **extra}


async def research(harness: Any, given: dict[str, Any]) -> tuple[Any, Any]:
    task_id = await harness.enqueue("researcher", given, title="research")
    task = await harness.claim("researcher")
    assert task.id == task_id
    return task, await harness.run(task)


async def test_findings_cite_corpus_files_with_their_line_ranges(harness: Any) -> None:
    task, result = await research(
        harness, research_input(harness, "What should a dead-letter queue hold?"))
    assert result.files == [f"findings/research--t{task.id}-a1.md"]
    findings = parse_findings(harness.board.read(result.files[0]).body)
    assert findings.question == "What should a dead-letter queue hold?"
    assert findings.strength == "strong"
    assert len(findings.passages) == 5
    assert "dead-letter-queues.md" in findings.files
    for passage in findings.passages:
        lines = (harness.corpus / passage.path).read_text(encoding="utf-8").split("\n")
        assert passage.text == "\n".join(lines[passage.start_line - 1 : passage.end_line])


async def test_sources_in_the_front_matter_are_the_citations(harness: Any) -> None:
    _, result = await research(harness, research_input(harness, "leases and heartbeats",
                                                       limit=2))
    written = harness.board.read(result.files[0])
    assert written.front_matter.sources == result.data["citations"]
    assert len(written.front_matter.sources) == 2
    assert all(":" in source for source in written.front_matter.sources)


async def test_a_question_the_corpus_does_not_answer_has_no_evidence(harness: Any) -> None:
    _, result = await research(harness, research_input(harness, "zebra xylophone quasar"))
    findings = parse_findings(harness.board.read(result.files[0]).body)
    assert (findings.strength, findings.passages) == ("none", [])


async def test_research_reports_progress_at_start_and_end(harness: Any) -> None:
    task, _ = await research(harness, research_input(harness, "jitter"))
    messages = await harness.store.read([session_channel(harness.session_id)])
    fractions = [m.body["fraction"] for m in messages
                 if m.kind == "task.progress" and m.body["task_id"] == task.id]
    assert fractions[0] == 0.0
    assert fractions[-1] == 1.0


async def test_the_same_question_gives_the_same_findings(harness: Any) -> None:
    _, first = await research(harness, research_input(harness, "retries with backoff"))
    _, second = await research(harness, research_input(harness, "retries with backoff"))
    assert harness.board.read(first.files[0]).body == harness.board.read(second.files[0]).body


async def test_a_plan_file_may_call_the_question_query(harness: Any) -> None:
    given = research_input(harness, "x")
    given["query"] = given.pop("question")
    given["query"] = "retry backoff"
    _, result = await research(harness, given)
    assert parse_findings(harness.board.read(result.files[0]).body).question == "retry backoff"


async def test_a_missing_index_file_is_rebuilt(harness: Any, tmp_path: Path) -> None:
    given = research_input(harness, "leases", index=str(tmp_path / "elsewhere" / "new.db"))
    _, result = await research(harness, given)
    assert parse_findings(harness.board.read(result.files[0]).body).passages


@pytest.mark.parametrize(("given", "field"), [
    ({"corpus": "/c", "index": "/i"}, "input.question"),
    ({"question": "  ", "corpus": "/c", "index": "/i"}, "input.question"),
    ({"question": "q", "limit": 0}, "input.limit"),
    ({"question": "q", "colour": "red"}, "input.colour"),
])
async def test_bad_research_input_fails_naming_the_field(
    harness: Any, given: dict[str, Any], field: str
) -> None:
    with pytest.raises(BadSkillInput, match=field):
        await research(harness, given)


async def test_research_without_a_corpus_fails_saying_what_is_missing(harness: Any) -> None:
    with pytest.raises(Fail, match=r"input\.corpus and input\.index missing"):
        await research(harness, {"question": "leases"})


async def test_research_on_a_corpus_that_is_gone_fails(harness: Any, tmp_path: Path) -> None:
    given = research_input(harness, "leases", corpus=str(tmp_path / "gone"))
    with pytest.raises(Fail, match="does not exist"):
        await research(harness, given)
