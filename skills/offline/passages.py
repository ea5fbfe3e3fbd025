"""Cut a text file into passages: short runs of consecutive lines that a search can cite.

A passage is a paragraph (lines between blank lines), so a hit is a coherent piece of
text. A Markdown heading is kept with the paragraph under it, and a lead-in ending with a
colon with the list it introduces, since either alone says little. Long paragraphs (code,
lists) are cut so that one passage stays readable in a report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["CODE_SUFFIXES", "MAX_CHUNK_CHARS", "MAX_CHUNK_LINES", "SECTION_SEPARATOR", "Chunk",
           "chunk_lines", "cut_run", "is_code_path"]

MAX_CHUNK_LINES = 20
# A paragraph is also cut at a line boundary past this many characters; a single longer
# line (minified files) stays one passage.
MAX_CHUNK_CHARS = 4000

# Source files: quoted verbatim, never read as prose.
_CODE_SUFFIXES_TEXT = """
    .py .pyi .c .h .cc .cpp .hpp .cs .go .rs .java .kt .scala .js .jsx .mjs .ts .tsx .rb .php
    .sh .bash .zsh .pl .lua .swift .m .sql .r .jl .ex .exs .erl .hs .ml .zig .toml .yaml .yml
    .json .ini .cfg
"""
CODE_SUFFIXES = frozenset(_CODE_SUFFIXES_TEXT.split())

_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s|$)")

# Between the headings of `Chunk.section`'s path.
SECTION_SEPARATOR = " › "


ChunkKind = Literal["prose", "code", "comment", "heading"]


@dataclass(frozen=True)
class Chunk:
    """Lines ``start_line`` to ``end_line`` (1-based, inclusive) and their text.

    ``symbol`` is the qualified name of the code it holds (``StreamReader.feed_data``),
    ``section`` the path of headings it stands under (``Retries › Backoff``); ``kind``
    says whether it is prose, code, or only a comment or a heading (which name a thing
    rather than say anything about it).
    """

    start_line: int
    end_line: int
    text: str
    symbol: str = ""
    section: str = ""
    kind: ChunkKind = "prose"


def is_code_path(path: str) -> bool:
    """Whether the file at `path` (by its suffix) holds code or configuration, not prose."""
    dot = path.rfind(".")
    return dot > path.rfind("/") and path[dot:].lower() in CODE_SUFFIXES


def chunk_lines(lines: list[str]) -> list[Chunk]:
    """Split a file's lines (as from ``text.split("\\n")``) into passages.

    Blank lines separate passages and belong to none, except between a heading and
    its paragraph. Line numbers count ``\\n`` line breaks, as editors and ``grep -n`` do.
    """
    clean = [line.removesuffix("\r") for line in lines]
    chunks: list[Chunk] = []
    for start, end in _with_headings(_paragraphs(clean), clean):
        chunks.extend(cut_run(clean, start, end))
    return chunks


def _paragraphs(lines: list[str]) -> list[tuple[int, int]]:
    """Runs of non-blank lines as 0-based half-open (start, end) ranges."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, line in enumerate(lines):
        if line.strip():
            start = index if start is None else start
        elif start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(lines)))
    return runs


def _with_headings(runs: list[tuple[int, int]], lines: list[str]) -> list[tuple[int, int]]:
    """Join a run that introduces the next one onto it, when the result stays short.

    A run introduces the next when it is only headings, or ends with a colon (a lead-in
    to a list): alone it answers nothing.
    """
    joined: list[tuple[int, int]] = []
    pending: tuple[int, int] | None = None
    for start, end in runs:
        if pending is not None and end - pending[0] <= MAX_CHUNK_LINES:
            start = pending[0]
        elif pending is not None:
            joined.append(pending)
        pending = None
        if _introduces(lines[start:end]):
            pending = (start, end)
        else:
            joined.append((start, end))
    if pending is not None:
        joined.append(pending)
    return joined


def _introduces(lines: list[str]) -> bool:
    text = [line for line in lines if line.strip()]
    return all(_HEADING.match(line) for line in text) or text[-1].rstrip().endswith(":")


def cut_run(lines: list[str], start: int, end: int) -> list[Chunk]:
    """Cut lines[start:end] into chunks of at most MAX_CHUNK_LINES and MAX_CHUNK_CHARS."""
    chunks: list[Chunk] = []
    piece_start = start
    size = 0
    for index in range(start, end):
        size += len(lines[index]) + 1
        full = index + 1 - piece_start >= MAX_CHUNK_LINES or size >= MAX_CHUNK_CHARS
        if full or index + 1 == end:
            chunks.append(_chunk(lines, piece_start, index + 1))
            piece_start, size = index + 1, 0
    return chunks


def _chunk(lines: list[str], start: int, end: int) -> Chunk:
    text = lines[start:end]
    kind: ChunkKind = "heading" if all(
        _HEADING.match(line) for line in text if line.strip()) else "prose"
    return Chunk(start + 1, end, "\n".join(text), kind=kind)
