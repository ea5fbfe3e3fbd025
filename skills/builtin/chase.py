"""`chase`: the follow-up of a research task. It finds the definitions (and nearest
callers) of the identifiers that the research's best passages name, to two levels, and
writes them as findings for the same sub-question, marked `Chased:`.

The planner enqueues one per research task, after it, with its share of the session's
cap; the analysis, design and synthesis wait for it, so the report uses what it found.
It searches again rather than reading the research's file: the same index and question
give the same passages.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from blackboard.layout import FINDINGS
from skills.builtin.research import search_corpus
from skills.contracts import SkillResult, SwarmContext, SwarmSkill
from skills.offline import CorpusIndex, evidence_strength
from skills.offline.chase import ChaseLimits, ChaseResult, chase
from skills.offline.identifiers import question_terms
from skills.roles import RESEARCHER
from skills.writing.common import NonBlank, params_of
from skills.writing.findings import render_findings

__all__ = ["Chase", "ChaseInput"]


class ChaseInput(BaseModel):
    """The research's question, corpus, index and passage limit, and this chase's budget
    (identifiers to follow) and depth."""

    model_config = ConfigDict(extra="forbid")

    question: NonBlank
    corpus: str
    index: str
    limit: int = Field(default=5, ge=1, le=50)
    budget: int = Field(default=3, ge=0, le=10)
    depth: int = Field(default=2, ge=1, le=3)


def run_chase(given: ChaseInput, corpus: Path, index: Path) -> ChaseResult:
    """The chase of `given`, on the corpus and index this host reads."""
    found = search_corpus(index, corpus, given.question, given.limit)
    limits = ChaseLimits(per_research=given.budget, depth=given.depth)
    return chase(CorpusIndex(index, corpus), found, limits, given.budget,
                 question_terms(given.question))


class Chase(SwarmSkill):
    """Follow the identifiers a research's passages name to their definitions."""

    name = "chase"
    roles = (RESEARCHER,)
    input_model = ChaseInput

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        given = params_of(ctx, ChaseInput)
        await ctx.progress(0.0, f"chasing definitions for: {given.question}")
        corpus, index = await ctx.corpus_paths(given.corpus, given.index)
        result = await asyncio.to_thread(run_chase, given, corpus, index)
        if not result.passages:
            await ctx.progress(1.0, "no identifier to chase")
            return SkillResult(summary=f"{given.question}: nothing to chase",
                               data={"question": given.question, "chased": []})
        citations = [p.citation for p in result.passages]
        path = ctx.blackboard.write_output(
            FINDINGS, "chase",
            render_findings(given.question, result.passages,
                            evidence_strength(result.passages, question_terms(given.question)),
                            chased=result.chased),
            sources=citations)
        names = ", ".join(result.chased)
        await ctx.progress(1.0, f"chased {names}: {len(result.passages)} passages")
        return SkillResult(summary=f"{given.question}: chased {names}", files=[path],
                           data={"question": given.question, "chased": result.chased,
                                 "citations": citations})
