"""Cutting files into citable passages with exact line numbers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from skills.offline.passages import MAX_CHUNK_LINES, Chunk, chunk_lines


def chunks_of(text: str) -> list[tuple[int, int, str]]:
    return [(c.start_line, c.end_line, c.text) for c in chunk_lines(text.split("\n"))]


def test_paragraphs_split_on_blank_lines_with_one_based_inclusive_lines() -> None:
    text = "first line\nsecond line\n\n\nthird para\n"
    assert chunks_of(text) == [(1, 2, "first line\nsecond line"), (5, 5, "third para")]


def test_heading_stays_with_the_paragraph_under_it() -> None:
    text = "# Title\n\n## Section\n\nBody line one.\nBody line two.\n\nNext paragraph."
    assert chunks_of(text) == [
        (1, 6, "# Title\n\n## Section\n\nBody line one.\nBody line two."),
        (8, 8, "Next paragraph."),
    ]


def test_lead_in_ending_with_a_colon_stays_with_its_list() -> None:
    text = "An entry holds:\n\n- the payload\n- the error\n\nAfter."
    assert chunks_of(text) == [
        (1, 4, "An entry holds:\n\n- the payload\n- the error"),
        (6, 6, "After."),
    ]


def test_heading_at_the_end_of_a_file_is_its_own_passage() -> None:
    assert chunks_of("Body.\n\n# Trailing heading\n") == [
        (1, 1, "Body."),
        (3, 3, "# Trailing heading"),
    ]


def test_long_paragraph_is_cut_every_max_lines() -> None:
    lines = [f"line {i}" for i in range(1, 46)]
    chunks = chunk_lines(lines)
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 20), (21, 40), (41, 45)]
    assert MAX_CHUNK_LINES == 20


def test_windows_line_endings_do_not_change_numbers_or_leak_into_text() -> None:
    assert chunks_of("one\r\ntwo\r\n\r\nthree\r\n") == [(1, 2, "one\ntwo"), (4, 4, "three")]


def test_blank_file_has_no_passages() -> None:
    assert chunk_lines(["", " ", "\t", ""]) == []


LINES = st.lists(
    st.sampled_from(["", " ", "# h", "text", "lead:", "- item", "x" * 900]), max_size=80
)


@given(LINES)
def test_passages_cover_every_non_blank_line_once_with_exact_text(lines: list[str]) -> None:
    chunks = chunk_lines(lines)
    covered: list[int] = []
    for chunk in chunks:
        assert isinstance(chunk, Chunk)
        assert 1 <= chunk.start_line <= chunk.end_line <= len(lines)
        assert chunk.text == "\n".join(lines[chunk.start_line - 1 : chunk.end_line])
        assert chunk.end_line - chunk.start_line < MAX_CHUNK_LINES
        assert lines[chunk.start_line - 1].strip()
        assert lines[chunk.end_line - 1].strip()
        covered.extend(range(chunk.start_line, chunk.end_line + 1))
    assert covered == sorted(set(covered))
    non_blank = [i for i, line in enumerate(lines, start=1) if line.strip()]
    assert [i for i in covered if lines[i - 1].strip()] == non_blank
