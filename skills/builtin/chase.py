"""`chase`: a follow-up a researcher enqueues for one identifier its best passages name.
It finds the identifier's definition and nearest caller and writes them as findings for
the same sub-question, marked `Chased:`; above the last level (`[chase] depth`) it
enqueues chases of the identifiers that definition names in turn, within its budget.

The researcher enqueued it with the analysis, design and synthesis waiting for it
(`before`), so the report uses what it found. It searches again rather than reading the
research's file: the same index and question give the same passages, which it does not
quote again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from blackboard.layout import FINDINGS
from skills.builtin.chase_follow_ups import ChaseRequest, enqueue_chases
from skills.builtin.research import search_corpus
from skills.contracts import SkillResult, SwarmContext, SwarmSkill
from skills.offline import CorpusIndex, evidence_strength
from skills.offline.chase import ChaseLimits, Followed, Named, follow
from skills.offline.identifiers import question_terms
from skills.roles import RESEARCHER
from skills.writing.common import NonBlank, params_of
from skills.writing.findings import render_findings

__all__ = ["Chase", "ChaseInput"]


class ChaseInput(BaseModel):
    """The research's question, corpus, index and passage limit; the identifier to
    follow, where it was seen and whether its spelling marks it as one; this chase's
    level, how many identifiers its definition may hand on (`budget`), and the limits."""

    model_config = ConfigDict(extra="forbid")

    question: NonBlank
    corpus: str
    index: str
    limit: int = Field(default=5, ge=1, le=50)
    identifier: NonBlank
    seen_in: str = ""
    compound: bool = True
    level: int = Field(default=1, ge=1, le=3)
    budget: int = Field(default=0, ge=0, le=10)
    limits: ChaseLimits = Field(default_factory=ChaseLimits)


def run_chase(
    given: ChaseInput, corpus: Path, index: Path,
) -> tuple[Followed | None, set[str]]:
    """The identifier followed (None: no definition the research has not quoted), and
    the citations found so far, on the corpus and index this host reads."""
    found = search_corpus(index, corpus, given.question, given.limit)
    seen = {p.citation for p in found}
    named = Named(given.identifier, given.seen_in, given.compound)
    followed = follow(CorpusIndex(index, corpus), named, seen)
    if followed is not None:
        seen.update(p.citation for p in followed.passages)
    return followed, seen


class Chase(SwarmSkill):
    """Follow one identifier to its definition and nearest caller."""

    name = "chase"
    roles = (RESEARCHER,)
    input_model = ChaseInput

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        given = params_of(ctx, ChaseInput)
        await ctx.progress(0.0, f"chasing {given.identifier}")
        corpus, index = await ctx.corpus_paths(given.corpus, given.index)
        followed, seen = await asyncio.to_thread(run_chase, given, corpus, index)
        if followed is None:
            await ctx.progress(1.0, f"no definition of {given.identifier} found")
            return SkillResult(summary=f"{given.identifier}: no definition found",
                               data={"question": given.question, "chased": []})
        passages = followed.passages
        citations = [p.citation for p in passages]
        path = ctx.blackboard.write_output(
            FINDINGS, "chase",
            render_findings(given.question, passages,
                            evidence_strength(passages, question_terms(given.question)),
                            chased=[given.identifier]),
            sources=citations)
        deeper = await enqueue_chases(ctx, ChaseRequest(
            given.question, given.corpus, given.index, given.limit, [followed.definition],
            seen, given.budget, given.level + 1, given.limits))
        await ctx.progress(1.0, f"chased {given.identifier}: {followed.definition.citation}"
                                + (f"; {len(deeper)} more to chase" if deeper else ""))
        return SkillResult(summary=f"{given.question}: chased {given.identifier}",
                           files=[path],
                           data={"question": given.question, "chased": [given.identifier],
                                 "citations": citations, "follow_ups": deeper})
