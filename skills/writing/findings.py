"""The findings format: what `research` writes to `findings/` and the other skills read back.

A findings file is plain Markdown that reads well with `cat`::

    # How do task queues survive worker crashes?

    Evidence: strong (5 passages from 4 files)

    ## 1. leases-and-heartbeats.md:3-8 (Leases and heartbeats)

    > A worker that claims a task and then crashes must not take the task down with it.

A chase's findings (the definitions of identifiers that a research's passages name)
carry a line `Chased: name, name` after the evidence line.

With a model, an `## Answer` to the question (citing the passages as `[file:lines]`) or a
note in italics comes before the passages; readers skip it.

Each passage is a numbered heading holding its `file:line` citation (and, in brackets,
the function, method or class, or the section, it comes from), then its text with
every line quoted (`> ` before a line, a bare `>` for an empty one), so any text survives
the round trip through `render_findings` and `parse_findings` unchanged. Passages are in
search order, best first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from pydantic import BaseModel, ConfigDict, Field

from skills.offline import Passage
from skills.offline.evidence import Strength
from skills.writing.common import one_line
from taskqueue.printable import printable

__all__ = ["FindingPassage", "Findings", "FindingsFormatError", "parse_findings",
           "render_findings"]

_TITLE = re.compile(r"# (?P<question>.*)")
_EVIDENCE = re.compile(r"Evidence: (?P<strength>strong|weak|none)\b.*")
_CHASED = re.compile(r"Chased: (?P<names>.+)")
_PASSAGE = re.compile(r"## (?P<number>\d+)\. (?P<path>.+?):(?P<start>\d+)(?:-(?P<end>\d+))?"
                      r"(?: \((?P<where>.+)\))?")
NO_PASSAGE_NOTE = "No passage of the corpus matches this question."
ANSWER_HEADING = "## Answer"
_HEADING_MARKS = re.compile(r"^\s{0,3}#+\s*")


class FindingsFormatError(ValueError):
    """A text is not a findings file; the message says what is wrong, and where."""


class FindingPassage(BaseModel):
    """One passage of a findings file: where it comes from, and its text."""

    model_config = ConfigDict(frozen=True)

    path: str
    start_line: int
    end_line: int
    text: str
    # The function, method or class (`StreamReader.feed_data`) or the section it is from.
    where: str = ""

    @property
    def lines(self) -> str:
        """`12-18`, or `12` for a single line."""
        if self.start_line == self.end_line:
            return str(self.start_line)
        return f"{self.start_line}-{self.end_line}"

    @property
    def citation(self) -> str:
        """`path:12-18`, as the corpus index cites it (control characters escaped)."""
        return f"{printable(self.path)}:{self.lines}"

    def as_passage(self) -> Passage:
        """The corpus index's `Passage` (the score is not kept in findings)."""
        return Passage(path=self.path, start_line=self.start_line, end_line=self.end_line,
                       text=self.text, score=0.0, symbol=self.where)

    @classmethod
    def from_passage(cls, passage: Passage) -> FindingPassage:
        return cls(path=passage.path, start_line=passage.start_line,
                   end_line=passage.end_line, text=passage.text, where=passage.where)


class Findings(BaseModel):
    """What one research task found for its sub-question."""

    model_config = ConfigDict(frozen=True)

    question: str
    strength: Strength
    passages: list[FindingPassage]
    # The identifiers a chase followed: its passages are their definitions and callers.
    chased: list[str] = Field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """The files cited, each once, in the order of the passages."""
        return list(dict.fromkeys(p.path for p in self.passages))


def describe_evidence(strength: Strength, passages: int, files: int) -> str:
    """`strong (5 passages from 4 files)`."""
    if passages == 0:
        return f"{strength} (no passage found)"
    noun = "passage" if passages == 1 else "passages"
    file_noun = "file" if files == 1 else "files"
    return f"{strength} ({passages} {noun} from {files} {file_noun})"


def render_findings(question: str, passages: Sequence[Passage | FindingPassage],
                    strength: Strength, answer: str = "", note: str = "",
                    chased: Sequence[str] = ()) -> str:
    """The findings file for `question`; the question is put on one line.

    The model's `answer` (with a model) and a `note` go between the evidence line and the
    passages, where the parser skips prose; no answer line can pass for a heading.
    """
    found = [p if isinstance(p, FindingPassage) else FindingPassage.from_passage(p)
             for p in passages]
    files = len({p.path for p in found})
    out = [f"# {one_line(question)}", "",
           f"Evidence: {describe_evidence(strength, len(found), files)}", ""]
    if chased:
        out += [f"Chased: {', '.join(chased)}", ""]
    if answer.strip():
        out += [ANSWER_HEADING, "", *[_HEADING_MARKS.sub("", line)
                                      for line in answer.strip().split("\n")], ""]
    if note:
        out += [note, ""]
    if not found:
        out += [NO_PASSAGE_NOTE, ""]
    for number, passage in enumerate(found, start=1):
        where = f" ({one_line(passage.where)})" if passage.where.strip() else ""
        out += [f"## {number}. {passage.citation}{where}", ""]
        out += [f"> {line}" if line else ">" for line in passage.text.split("\n")]
        out.append("")
    return "\n".join(out)


def parse_findings(text: str) -> Findings:
    """Read a findings file back; `FindingsFormatError` when `text` is not one."""
    lines = text.split("\n")
    index = _skip_blank(lines, 0)
    title = _TITLE.fullmatch(lines[index]) if index < len(lines) else None
    if title is None:
        raise FindingsFormatError("a findings file opens with '# <question>'")
    index = _skip_blank(lines, index + 1)
    evidence = _EVIDENCE.fullmatch(lines[index]) if index < len(lines) else None
    if evidence is None:
        raise FindingsFormatError(f"line {index + 1}: expected 'Evidence: strong|weak|none'")
    passages: list[FindingPassage] = []
    index = _skip_blank(lines, index + 1)
    chased = _CHASED.fullmatch(lines[index]) if index < len(lines) else None
    if chased is not None:
        index += 1
    while index < len(lines):
        heading = _PASSAGE.fullmatch(lines[index])
        index += 1
        if heading is None:
            continue  # prose between passages (the note when there are none) is not data
        quoted, index = _quoted_block(lines, _skip_blank(lines, index))
        if not quoted:
            raise FindingsFormatError(f"line {index + 1}: passage {heading['number']} "
                                      "has no quoted text")
        start = int(heading["start"])
        end = int(heading["end"]) if heading["end"] else start
        passages.append(FindingPassage(path=heading["path"], start_line=start, end_line=end,
                                       text="\n".join(quoted), where=heading["where"] or ""))
    strength = cast(Strength, evidence["strength"])  # the pattern admits only the three
    names = [n.strip() for n in chased["names"].split(",") if n.strip()] if chased else []
    return Findings(question=title["question"], strength=strength, passages=passages,
                    chased=names)


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _quoted_block(lines: list[str], index: int) -> tuple[list[str], int]:
    """The unquoted lines of the `>` block starting at `index`, and the index after it."""
    quoted: list[str] = []
    while index < len(lines) and lines[index].startswith(">"):
        line = lines[index]
        quoted.append(line[2:] if line.startswith("> ") else line[1:])
        index += 1
    return quoted, index
