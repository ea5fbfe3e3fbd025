"""The model cites passages by number; the outputs cite them as `[file:lines]`.

Passages are shown to the model numbered (`[1]`, `[2]` …). Its answer's numbers are
mapped back to the passages' citations; numbers out of range and `[file:lines]` it made
up are dropped, so every citation in an output points at a passage that was found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from skills.writing.findings import FindingPassage

__all__ = ["number_passages", "resolve_citations"]

# Shown to the model per passage: enough to answer from, bounded so prompts stay small.
PASSAGE_CHARS = 1200

# With the blanks before them, so that a dropped citation leaves no gap before a period.
_NUMBERS = re.compile(r"([ \t]*)\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_FILE_CITATION = re.compile(r"([ \t]*)\[([^\[\]\n]+:\d+(?:-\d+)?)\]")


def number_passages(passages: Sequence[FindingPassage], first: int = 1) -> str:
    """The passages as the model sees them: `[n] file:lines (symbol or section)` and the
    text."""
    blocks = []
    for number, passage in enumerate(passages, start=first):
        text = passage.text.strip()
        if len(text) > PASSAGE_CHARS:
            text = text[:PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        where = f" ({passage.where})" if passage.where else ""
        blocks.append(f"[{number}] {passage.citation}{where}\n{text}")
    return "\n\n".join(blocks)


def resolve_citations(text: str, citations: Sequence[str]) -> tuple[str, list[str]]:
    """`text` with `[n]` turned into `[citations[n-1]]` and invented citations removed;
    and the citations used, each once, in order of first use."""
    known = set(citations)
    used: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        kept = []
        for part in re.split(r"[,;]", match.group(2)):
            index = int(part) - 1
            if 0 <= index < len(citations):
                kept.append(citations[index])
        used.extend(kept)
        if not kept:
            return ""
        return match.group(1) + "".join(f"[{c}]" for c in dict.fromkeys(kept))

    def by_file(match: re.Match[str]) -> str:
        if match.group(2) in known:
            used.append(match.group(2))
            return match.group(0)
        return ""

    resolved = _FILE_CITATION.sub(by_file, _NUMBERS.sub(numbered, text))
    return resolved, list(dict.fromkeys(used))
