"""Reading the findings back from the blackboard, one section per sub-question.

`analyze`, `design`, `critique` and `synthesize` all start here, so they agree on which
findings count (the latest attempt of each research task), how findings are matched to
the plan's sub-questions, and how strong the evidence for each one is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

from blackboard.layout import FINDINGS
from skills.contracts import BlackboardView, SkillResult, SwarmContext, SwarmSkill
from skills.offline import Passage, evidence_strength
from skills.offline.evidence import Strength
from skills.offline.identifiers import question_terms
from skills.writing.common import DownstreamInput, latest_outputs, one_line, params_of
from skills.writing.findings import (
    FindingPassage,
    Findings,
    FindingsFormatError,
    describe_evidence,
    parse_findings,
)

__all__ = ["FindingsSkill", "Section", "build_sections", "question_key", "read_findings",
           "read_sections"]

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class Section:
    """A sub-question and every passage found for it, best first, each once."""

    number: int
    question: str
    passages: tuple[FindingPassage, ...]
    strength: Strength
    # What chases found for it: definitions and callers of identifiers its passages name.
    chased: tuple[FindingPassage, ...] = ()
    chased_names: tuple[str, ...] = ()

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(p.path for p in self.passages))

    @property
    def evidence(self) -> str:
        """`strong (5 passages from 4 files)`."""
        return describe_evidence(self.strength, len(self.passages), len(self.files))

    def as_passages(self) -> list[Passage]:
        return [p.as_passage() for p in self.passages]


def question_key(question: str) -> str:
    """What two spellings of one sub-question have in common."""
    return one_line(question).casefold().rstrip(" .!?;:,")


def read_findings(board: BlackboardView) -> list[Findings]:
    """Every findings file on the board, the latest attempt of each task, by task.

    A file in `findings/` that is not in the findings format (a legacy skill's output,
    a note written by hand) is skipped.
    """
    found: list[Findings] = []
    for path in latest_outputs(board.list(FINDINGS)):
        try:
            found.append(parse_findings(board.read(path)))
        except FindingsFormatError as exc:
            logger.info("not a findings file, skipped: %s (%s)", path, exc)
    return found


def build_sections(questions: list[str], findings: list[Findings]) -> list[Section]:
    """One section per sub-question of the plan, in its order, then one per question
    that only the findings name (a `--plan` file's own research tasks).

    Passages found for one question by several tasks are merged, each citation once;
    the evidence is graded again over the merged passages. What chases found is kept
    apart, in `chased`.
    """
    by_key: dict[str, list[Findings]] = {}
    for found in findings:
        by_key.setdefault(question_key(found.question), []).append(found)
    ordered = list(dict.fromkeys(question_key(q) for q in questions))
    ordered += [key for key in by_key if key not in ordered]
    wording = {question_key(f.question): one_line(f.question) for f in reversed(findings)}
    wording.update({question_key(q): one_line(q) for q in reversed(questions)})
    sections: list[Section] = []
    for number, key in enumerate(ordered, start=1):
        matching = by_key.get(key, [])
        merged = {p.citation: p for f in matching if not f.chased for p in f.passages}
        chased = {p.citation: p for f in matching if f.chased for p in f.passages
                  if p.citation not in merged}
        names = tuple(dict.fromkeys(n for f in matching for n in f.chased))
        passages = tuple(merged.values())
        question = wording[key]
        strength = evidence_strength([p.as_passage() for p in passages], question_terms(question))
        sections.append(Section(number, question, passages, strength, tuple(chased.values()),
                                names))
    return sections


def read_sections(board: BlackboardView, questions: list[str]) -> list[Section]:
    """`build_sections` over the findings on `board`."""
    return build_sections(questions, read_findings(board))


class FindingsSkill(SwarmSkill):
    """A skill that writes from the findings by sub-question (`analyze`, `design`,
    `critique`, `synthesize`): it gets them read in `execute` and writes in `write`."""

    input_model = DownstreamInput
    # The progress note while the findings are read.
    reading: ClassVar[str] = "reading the findings"

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        given = params_of(ctx, DownstreamInput)
        await ctx.progress(0.0, self.reading)
        return await self.write(ctx, given, read_sections(ctx.blackboard, given.questions))

    async def write(self, ctx: SwarmContext, given: DownstreamInput, sections: list[Section]
                    ) -> SkillResult:
        raise NotImplementedError
