"""The offline report's points: where to look, verbatim quotes, exact citations."""

from __future__ import annotations

from skills.builtin.synthesize import REPORT_POINTS, render_report
from skills.writing.citations import resolve_citations
from skills.writing.findings import FindingPassage
from skills.writing.report_points import MAX_EXCERPT_LINES, code_excerpt, quoted_points
from skills.writing.sections import Section
from skills.writing.with_model import sections_for_model

FEED = FindingPassage(
    path="asyncio/streams.py", start_line=10, end_line=13, where="StreamReader.feed_data",
    text="    def feed_data(self, data):\n        self._buffer.extend(data)\n"
         "        if self._buffer:\n            self._transport.pause_reading()")
DOC = FindingPassage(path="docs/streams.rst", start_line=40, end_line=41,
                     where="Streams › Flow control",
                     text="The reader pauses the transport\nwhen its buffer is full.")


def test_code_is_quoted_verbatim_in_a_fence_with_its_symbol() -> None:
    lines = quoted_points([FEED, DOC], "How does a StreamReader pause reading?")
    assert lines[:8] == [
        "- [asyncio/streams.py:10-13] `StreamReader.feed_data`", "",
        "  ```python", "  def feed_data(self, data):", "      self._buffer.extend(data)",
        "      if self._buffer:", "          self._transport.pause_reading()", "  ```"]
    assert lines[-1] == ("- The reader pauses the transport when its buffer is full. "
                         "[docs/streams.rst:40-41]")


def test_a_long_code_passage_is_cut_to_its_best_window_and_cited_by_it() -> None:
    body = [f"    x{i} = {i}" for i in range(40)]
    body[30] = "    self._transport.pause_reading()"
    long = FindingPassage(path="s.py", start_line=100, end_line=139, text="\n".join(body))
    start, lines = code_excerpt(long, {"paus", "read"})
    assert len(lines) == MAX_EXCERPT_LINES
    assert start == 100 + 15
    assert lines == body[15:31]


def test_the_header_counts_what_is_shown_and_where_to_look_names_the_places() -> None:
    passages = tuple(FindingPassage(path=f"f{i}.md", start_line=1, end_line=1,
                                    text=f"Backpressure note {i}.", where=f"Top › Part {i}")
                     for i in range(REPORT_POINTS + 2))
    section = Section(1, "What is backpressure?", passages, "strong")
    report = render_report("What is backpressure?", [section], [], {})
    assert f"strong ({REPORT_POINTS} passages from {REPORT_POINTS} files)" in report
    assert report.count("- Backpressure note") == REPORT_POINTS
    assert "**Where to look:** `f0.md` (Part 0); `f1.md` (Part 1)" in report
    assert "Nothing:" not in report
    assert "## Tasks that failed or died" not in report


def test_the_model_sees_the_passages_and_the_chased_definitions_with_their_symbols() -> None:
    section = Section(1, "How does a StreamReader pause reading?", (DOC,), "strong",
                      chased=(FEED,), chased_names=("feed_data",))
    shown, citations = sections_for_model([section])
    assert citations == ["docs/streams.rst:40-41", "asyncio/streams.py:10-13"]
    assert "[2] asyncio/streams.py:10-13 (StreamReader.feed_data)\ndef feed_data" in shown
    answer, used = resolve_citations("It pauses [2]; see also [9] and [x.py:1].", citations)
    assert (answer, used) == ("It pauses [asyncio/streams.py:10-13]; see also and.",
                              ["asyncio/streams.py:10-13"])
