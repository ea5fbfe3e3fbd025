"""How the later skills read the blackboard: the latest attempts, sections per question,
the opening of a passage, uncited statements, and the points of a critique."""

from __future__ import annotations

from skills.builtin.critique import uncited_statements
from skills.builtin.design import render_design
from skills.builtin.synthesize import critique_points
from skills.writing.common import latest_outputs
from skills.writing.findings import FindingPassage, Findings
from skills.writing.prose import MAX_LEAD_CHARS, lead
from skills.writing.sections import build_sections


def passage(path: str, start: int, text: str = "Leases expire when workers crash.") -> (
        FindingPassage):
    return FindingPassage(path=path, start_line=start, end_line=start + 2, text=text)


def test_only_the_latest_attempt_of_each_task_counts() -> None:
    paths = ["findings/research--t2-a1.md", "findings/research--t10-a1.md",
             "findings/research--t2-a3.md", "findings/research--t2-a2.md", "findings/notes.md"]
    assert latest_outputs(paths) == [
        "findings/research--t2-a3.md", "findings/research--t10-a1.md", "findings/notes.md"]


def test_sections_follow_the_plan_then_questions_only_findings_name() -> None:
    findings = [
        Findings(question="Extra question", strength="weak", passages=[passage("x.md", 1)]),
        Findings(question="how do leases work", strength="weak", passages=[passage("a.md", 1)]),
    ]
    sections = build_sections(["How do leases work?", "What is a DLQ?"], findings)
    assert [(s.number, s.question) for s in sections] == [
        (1, "How do leases work?"), (2, "What is a DLQ?"), (3, "Extra question")]
    assert [len(s.passages) for s in sections] == [1, 0, 1]
    assert sections[1].strength == "none"


def test_findings_of_one_question_are_merged_each_citation_once() -> None:
    first = Findings(question="Why leases?", strength="weak",
                     passages=[passage("a.md", 1), passage("b.md", 5)])
    second = Findings(question="Why leases?", strength="weak",
                      passages=[passage("b.md", 5), passage("c.md", 9)])
    [section] = build_sections([], [first, second])
    assert [p.citation for p in section.passages] == ["a.md:1-3", "b.md:5-7", "c.md:9-11"]
    assert section.strength == "strong"
    assert section.evidence == "strong (3 passages from 3 files)"


def test_lead_skips_headings_and_stops_after_a_long_first_sentence() -> None:
    text = ("## Leases\n\nA lease is a claim with a deadline that a worker must renew while it "
            "runs the task. Another sentence.\n")
    assert lead(text) == ("A lease is a claim with a deadline that a worker must renew while "
                          "it runs the task.")


def test_lead_takes_a_second_sentence_after_a_short_one() -> None:
    assert lead("Retry later. Backoff doubles the wait. Third.") == (
        "Retry later. Backoff doubles the wait.")


def test_lead_keeps_the_list_a_lead_in_introduces() -> None:
    assert lead("An entry holds:\n\n- the payload;\n- the error.") == (
        "An entry holds: the payload; the error.")


def test_lead_of_a_long_sentence_is_cut_at_a_word() -> None:
    text = "word " * 200
    shortened = lead(text)
    assert len(shortened) <= MAX_LEAD_CHARS
    assert shortened.endswith("word…")


def test_lead_of_code_or_headings_only_is_not_empty() -> None:
    assert lead("# Only a heading") == "Only a heading"
    assert lead("```\ncode()\n```") == "code()"


def test_the_built_in_design_has_no_uncited_statement() -> None:
    sections = build_sections(["Why leases?", "Nothing here?"], [
        Findings(question="Why leases?", strength="weak", passages=[passage("a.md", 1)])])
    design = render_design("the request", sections)
    assert uncited_statements(design) == []
    assert "[a.md:1-3]" in design
    assert "No evidence found" in design


def test_statements_without_a_citation_are_found() -> None:
    design = ("# Design\n\n_a note_\n\n## 1. Q\n\n- Leases expire [a.md:1-3]\n"
              "- Retries need a cap\n\nPlain prose without a source.\n\n| a | b |\n"
              "\n```\nretry(forever)\n```\n")
    assert uncited_statements(design) == ["Retries need a cap", "Plain prose without a source."]


def test_critique_points_are_its_list_items_by_heading() -> None:
    critique = ("# Critique\n\n## Sub-questions without evidence\n\n- 2. Q — none\n\n"
                "## Passages that may disagree\n\n- [a.md:1] against [b.md:2]\n\n"
                "## Statements without a citation\n\nNone.\n")
    assert critique_points(critique) == [
        ("Passages that may disagree", "[a.md:1] against [b.md:2]")]


def test_list_markers_are_removed_only_at_the_start_of_a_line() -> None:
    assert lead("- Use asyncio.timeout_at(loop.time() + 10) - 2) then + 1.") == (
        "Use asyncio.timeout_at(loop.time() + 10) - 2) then + 1.")
