"""Cut Markdown and reStructuredText into passages by section.

Each passage stands under the path of headings above it (``Retries › Backoff``), kept in
``Chunk.section`` and not in its text: the heading's underline is not a sentence. Within
a section, passages are paragraphs; a lead-in ending with ":" stays with what it
introduces, and an indented block (a literal block, a list item's continuation) with the
paragraph before it. A fenced code block is never cut at its blank lines. A heading with
no text under it is a passage of its own, marked as a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from .passages import MAX_CHUNK_LINES, SECTION_SEPARATOR, Chunk, cut_run

__all__ = ["chunk_markdown", "chunk_rst"]

_ATX = re.compile(r"\s{0,3}(?P<marks>#{1,6})(?:\s+(?P<title>.*?))?(?:\s+#+)?\s*")
_SETEXT = re.compile(r"\s{0,3}(?:=+|-+)\s*")
_FENCE = re.compile(r"\s{0,3}(```|~~~)")
_RST_ADORNMENT = re.compile(r"([=\-`:'\"~^_*+#<>.])\1{2,}\s*")


@dataclass(frozen=True)
class _Heading:
    """Lines [start, end) (0-based) hold a heading of ``level`` titled ``title``."""

    start: int
    end: int
    level: int
    title: str


def chunk_markdown(lines: list[str]) -> list[Chunk]:
    """Passages of a Markdown file, by section."""
    return _by_section(lines, _markdown_headings(lines), _fenced_lines(lines))


def chunk_rst(lines: list[str]) -> list[Chunk]:
    """Passages of a reStructuredText file, by section."""
    return _by_section(lines, _rst_headings(lines), set())


def _fenced_lines(lines: list[str]) -> set[int]:
    """Indexes of the lines inside fenced code blocks, fences included."""
    inside: set[int] = set()
    fence: str | None = None
    for index, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            inside.add(index)
        elif fence is not None:
            inside.add(index)
            if line.strip().startswith(fence):
                fence = None
    return inside


def _markdown_headings(lines: list[str]) -> list[_Heading]:
    fenced = _fenced_lines(lines)
    found: list[_Heading] = []
    for index, line in enumerate(lines):
        if index in fenced:
            continue
        atx = _ATX.fullmatch(line)
        if atx:
            found.append(_Heading(index, index + 1, len(atx["marks"]), atx["title"] or ""))
        elif (index + 1 < len(lines) and index + 1 not in fenced and line.strip()
              and not line.startswith((" ", "\t", "-", "*", ">", "|"))
              and (index == 0 or not lines[index - 1].strip())
              and _SETEXT.fullmatch(lines[index + 1])):
            level = 1 if "=" in lines[index + 1] else 2
            found.append(_Heading(index, index + 2, level, line.strip()))
    return found


def _rst_headings(lines: list[str]) -> list[_Heading]:
    """Titles underlined (and maybe overlined) with one punctuation character; levels in
    order of first use of each style, as docutils assigns them."""
    styles: list[tuple[str, bool]] = []
    found: list[_Heading] = []
    index = 0
    while index + 1 < len(lines):
        title, under = lines[index], lines[index + 1]
        overline = index >= 1 and bool(_RST_ADORNMENT.fullmatch(lines[index - 1])) and (
            lines[index - 1][:1] == under[:1])
        if (title.strip() and not title[0].isspace() and not _RST_ADORNMENT.fullmatch(title)
                and _RST_ADORNMENT.fullmatch(under)
                and len(under.rstrip()) >= len(title.rstrip()) - 1):
            style = (under[0], overline)
            if style not in styles:
                styles.append(style)
            start = index - 1 if overline else index
            found.append(_Heading(start, index + 2, styles.index(style) + 1, title.strip()))
            index += 2
            continue
        index += 1
    return found


def _by_section(lines: list[str], headings: list[_Heading], fenced: set[int]) -> list[Chunk]:
    clean = [line.removesuffix("\r") for line in lines]
    chunks: list[Chunk] = []
    path: list[_Heading] = []
    bounds = [0, *(h.start for h in headings), len(clean)]
    for number, (start, end) in enumerate(pairwise(bounds)):
        heading = headings[number - 1] if number else None
        if heading is not None:
            path = [h for h in path if h.level < heading.level] + [heading]
            start = heading.end
        section = SECTION_SEPARATOR.join(h.title for h in path if h.title)
        body = [chunk for run in _runs(clean, start, end, fenced)
                for chunk in cut_run(clean, *run)]
        if not body and heading is not None:
            body = [Chunk(heading.start + 1, heading.end, "\n".join(
                clean[heading.start:heading.end]), kind="heading")]
        chunks += [Chunk(c.start_line, c.end_line, c.text, section=section, kind=c.kind)
                   for c in body]
    return chunks


def _runs(lines: list[str], start: int, end: int, fenced: set[int]) -> list[tuple[int, int]]:
    """Paragraphs of lines[start:end], joined as the module docstring says."""
    runs: list[tuple[int, int]] = []
    run_start: int | None = None
    for index in range(start, end + 1):
        blank = index == end or (not lines[index].strip() and index not in fenced)
        if not blank and run_start is None:
            run_start = index
        elif blank and run_start is not None:
            runs.append((run_start, index))
            run_start = None
    joined: list[tuple[int, int]] = []
    for run in runs:
        if joined and _belongs_to_previous(lines, joined[-1], run):
            joined[-1] = (joined[-1][0], run[1])
        else:
            joined.append(run)
    return joined


def _belongs_to_previous(lines: list[str], previous: tuple[int, int],
                         run: tuple[int, int]) -> bool:
    if run[1] - previous[0] > MAX_CHUNK_LINES:
        return False
    lead_in = lines[previous[1] - 1].rstrip().endswith(":")
    indented = all(line[:1].isspace() for line in lines[run[0]:run[1]] if line.strip())
    return lead_in or indented
