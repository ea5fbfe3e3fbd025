"""Turning a passage into a statement a report can cite: its first sentence or two.

Offline there is no model to summarise with, so a passage speaks for itself: the opening
of its prose, with headings, code fences and list markers set aside, cut at a sentence
boundary.
"""

from __future__ import annotations

import re

from skills.writing.sections import Section

__all__ = ["CITATION", "cite", "lead", "points"]

# `[path:12-18]` or `[path:12]`: how every statement in a design or a report cites.
CITATION = re.compile(r"\[[^\[\]\n]+:\d+(?:-\d+)?\]")

_HEADING = re.compile(r"\s{0,3}#{1,6}(?:\s+(?P<text>.*))?")
_FENCE = re.compile(r"\s*(?:```|~~~)")
_LIST_MARKER = re.compile(r"\s*(?:[-*+•]|\d{1,3}[.)])\s+")
# A sentence ends at ".", "!" or "?" before a capital, a digit, or an opening mark;
# "e.g. retries" does not end one.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`*_\"'(\[])")

MIN_LEAD_CHARS = 80
MAX_LEAD_CHARS = 320
MAX_LEAD_SENTENCES = 2


def cite(citation: str) -> str:
    """A citation as statements carry it: `[path:12-18]`."""
    return f"[{citation}]"


def lead(text: str) -> str:
    """The first sentence of a passage's prose, or two when the first is short.

    At most `MAX_LEAD_CHARS`, cut at a word and marked with "…". A passage with no prose
    (only headings or code) gives its first heading or line.
    """
    prose = " ".join(_first_paragraph(text).split())
    if not prose:
        prose = _fallback(text)
    chosen: list[str] = []
    for sentence in _SENTENCE_END.split(prose):
        chosen.append(sentence)
        if len(" ".join(chosen)) >= MIN_LEAD_CHARS or len(chosen) >= MAX_LEAD_SENTENCES:
            break
    return _shorten(" ".join(chosen))


def points(section: Section, limit: int) -> list[str]:
    """Up to `limit` statements for `section`, each the opening of a passage, cited."""
    return [f"{lead(p.text)} {cite(p.citation)}" for p in section.passages[:limit]]


def _first_paragraph(text: str) -> str:
    """The first run of prose lines; a lead-in ending with ":" keeps the list after it."""
    taken: list[str] = []
    in_code = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code or _HEADING.fullmatch(line):
            continue
        if not line.strip():
            if taken and not taken[-1].rstrip().endswith(":"):
                break
            continue
        # Anchored: "2) ", "+ " or "- " inside a line (code, quotes) is text, not a marker.
        marker = _LIST_MARKER.match(line)
        taken.append(line[marker.end():] if marker else line)
    return " ".join(taken)


def _fallback(text: str) -> str:
    for line in text.split("\n"):
        heading = _HEADING.fullmatch(line)
        candidate = (heading["text"] or "") if heading else line
        if candidate.strip() and not _FENCE.match(line):
            return " ".join(candidate.split())
    return " ".join(text.split())


def _shorten(text: str) -> str:
    if len(text) <= MAX_LEAD_CHARS:
        return text
    cut = text[: MAX_LEAD_CHARS - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"
