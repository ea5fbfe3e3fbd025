"""What the offline report shows per sub-question: where to look, then verbatim quotes.

"Where to look" names the files and, in each, the functions or sections that matched.
Each point is then a quote with its citation: the opening sentences of a prose passage,
or the lines of a code passage in a fenced block. A long code passage is cut to the
window of lines that holds most of the question's terms, and cited by exactly those
lines, so every citation still says what it quotes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from skills.offline.evidence import missing_terms
from skills.offline.identifiers import question_terms
from skills.offline.passages import SECTION_SEPARATOR, is_code_path
from skills.offline.ranking import text_stems
from skills.offline.stems import stem
from skills.writing.findings import FindingPassage, describe_evidence
from skills.writing.prose import cite, lead
from skills.writing.sections import Section

__all__ = ["MAX_EXCERPT_LINES", "code_excerpt", "evidence_line", "quoted_points",
           "where_to_look"]

# A code quote longer than this is cut to its most relevant window.
MAX_EXCERPT_LINES = 16
_FENCE_LANGUAGES = {".py": "python", ".pyi": "python", ".js": "javascript", ".ts": "typescript",
                    ".go": "go", ".rs": "rust", ".c": "c", ".h": "c", ".sh": "sh",
                    ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def where_to_look(passages: Sequence[FindingPassage]) -> str:
    """`file` (symbols or sections) per file, in the order the passages rank them."""
    by_file: dict[str, list[str]] = {}
    for passage in passages:
        places = by_file.setdefault(passage.path, [])
        # A section's last heading names it; the path above it is the document's title.
        place = passage.where.rsplit(SECTION_SEPARATOR, 1)[-1]
        if place and place not in places:
            places.append(place)
    shown = []
    for path, places in by_file.items():
        named = ", ".join(f"`{p}`" if is_code_path(path) else p for p in places)
        shown.append(f"`{path}` ({named})" if named else f"`{path}`")
    return "; ".join(shown)


def evidence_line(section: Section, shown: Sequence[FindingPassage]) -> str:
    """The strength, counted over the passages shown, and the terms they leave out."""
    files = len({p.path for p in shown})
    text = describe_evidence(section.strength, len(shown), files)
    missing = missing_terms([p.as_passage() for p in shown], question_terms(section.question))
    if missing:
        text += "; not found in them: " + ", ".join(missing)
    return text


def quoted_points(passages: Sequence[FindingPassage], question: str) -> list[str]:
    """One list item per passage: a prose lead or a fenced code quote, each cited."""
    wanted = {stem(part) for term in question_terms(question) for part in term.split("_")}
    out: list[str] = []
    for passage in passages:
        if not is_code_path(passage.path):
            out.append(f"- {lead(passage.text)} {cite(passage.citation)}")
            continue
        where = f" `{passage.where}`" if passage.where else ""
        start, lines = code_excerpt(passage, wanted)
        end = start + len(lines) - 1
        citation = passage.path + (f":{start}" if start == end else f":{start}-{end}")
        out += [f"- {cite(citation)}{where}", "", *_fenced(passage.path, lines), ""]
    return out


def code_excerpt(passage: FindingPassage, wanted: set[str]) -> tuple[int, list[str]]:
    """The first line number and the lines of the window of at most MAX_EXCERPT_LINES
    that holds most lines with a `wanted` stem (the earliest such window)."""
    lines = passage.text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) <= MAX_EXCERPT_LINES:
        return passage.start_line, lines
    hits = [1 if wanted & text_stems(line) else 0 for line in lines]
    best = max(range(len(lines) - MAX_EXCERPT_LINES + 1),
               key=lambda i: (sum(hits[i:i + MAX_EXCERPT_LINES]), -i))
    window = lines[best:best + MAX_EXCERPT_LINES]
    while len(window) > 1 and not window[0].strip():
        best, window = best + 1, window[1:]
    return passage.start_line + best, window


def _fenced(path: str, lines: list[str]) -> list[str]:
    """The lines, dedented, in a fence that no line of them can close, indented as the
    body of a list item."""
    body = textwrap.dedent("\n".join(lines)).split("\n")
    fence = "````" if any(line.lstrip().startswith("```") for line in body) else "```"
    suffix = path[path.rfind("."):].lower() if "." in path else ""
    opening = fence + _FENCE_LANGUAGES.get(suffix, "")
    return ["  " + opening, *[("  " + line).rstrip() for line in body], "  " + fence]
