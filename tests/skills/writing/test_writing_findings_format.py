"""The findings format: what research writes is what the other skills read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blackboard import Blackboard, FrontMatter
from skills.offline import Passage
from skills.offline.evidence import Strength
from skills.writing.findings import (
    FindingPassage,
    Findings,
    FindingsFormatError,
    parse_findings,
    render_findings,
)

STRENGTHS: tuple[Strength, ...] = ("strong", "weak", "none")

paths = st.from_regex(r"[a-z][a-z0-9_/-]{0,20}\.(md|txt)", fullmatch=True)


@st.composite
def passages(draw: st.DrawFn) -> FindingPassage:
    start = draw(st.integers(min_value=1, max_value=10_000))
    return FindingPassage(path=draw(paths), start_line=start,
                          end_line=start + draw(st.integers(min_value=0, max_value=30)),
                          text=draw(st.text()))


@given(st.lists(passages(), max_size=6), st.sampled_from(STRENGTHS))
def test_any_passage_text_survives_the_round_trip(found: list[FindingPassage],
                                                  strength: Strength) -> None:
    parsed = parse_findings(render_findings("Why do leases expire?", found, strength))
    assert parsed == Findings(question="Why do leases expire?", strength=strength,
                              passages=found)


@given(st.text(min_size=1).filter(lambda q: q.split()))
def test_the_question_comes_back_on_one_line(question: str) -> None:
    assert parse_findings(render_findings(question, [], "none")).question == " ".join(
        question.split())


def test_the_file_reads_as_markdown_with_citations_and_quotes() -> None:
    passage = Passage(path="leases.md", start_line=3, end_line=5, text="# Leases\n\nA lease.",
                      score=1.5)
    text = render_findings("How do leases work?", [passage], "weak")
    assert text == (
        "# How do leases work?\n\n"
        "Evidence: weak (1 passage from 1 file)\n\n"
        "## 1. leases.md:3-5\n\n"
        "> # Leases\n>\n> A lease.\n"
    )


def test_a_single_line_passage_is_cited_by_one_line_number() -> None:
    passage = FindingPassage(path="a.md", start_line=7, end_line=7, text="x")
    assert passage.citation == "a.md:7"
    parsed = parse_findings(render_findings("q", [passage], "weak")).passages[0]
    assert (parsed.start_line, parsed.end_line, parsed.lines) == (7, 7, "7")


def test_no_passage_says_so_and_parses_to_none() -> None:
    text = render_findings("Is there anything?", [], "none")
    assert "No passage of the corpus matches this question." in text
    assert parse_findings(text).passages == []


def test_a_path_with_a_colon_keeps_it() -> None:
    passage = FindingPassage(path="notes:v2/a.md", start_line=1, end_line=2, text="t")
    assert parse_findings(render_findings("q", [passage], "weak")).passages == [passage]


@pytest.mark.parametrize(("text", "reason"), [
    ("", "opens with"),
    ("just some notes\n", "opens with"),
    ("# A question\n\nno evidence line\n", "Evidence"),
    ("# A question\n\nEvidence: strong\n\n## 1. a.md:1-2\n\nnot quoted\n", "no quoted text"),
])
def test_other_text_is_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(FindingsFormatError, match=reason):
        parse_findings(text)


def test_findings_survive_the_blackboard(tmp_path: Path) -> None:
    board = Blackboard(tmp_path, "s1")
    board.create()
    found = [FindingPassage(path="a.md", start_line=1, end_line=3,
                            text="---\nnot front matter\n\u2028 odd line\r\n")]
    board.write("findings/x.md", render_findings("q?", found, "weak"),
                FrontMatter(task=1, attempt=1))
    assert parse_findings(board.read("findings/x.md").body).passages == found


def test_the_symbol_or_section_of_a_passage_survives_the_round_trip() -> None:
    passage = FindingPassage(path="asyncio/streams.py", start_line=494, end_line=514,
                             text="    def feed_data(self, data):", where="StreamReader.feed_data")
    text = render_findings("How?", [passage], "strong")
    assert "## 1. asyncio/streams.py:494-514 (StreamReader.feed_data)" in text
    assert parse_findings(text).passages == [passage]
