"""`research`: the best passages of the local corpus for one sub-question, with citations.

The orchestrator builds the corpus index before the session starts and passes its path;
an index file that is missing (deleted, or a worker started on another machine's
workspace) is rebuilt here, since it is only a cache of the corpus.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from skills.builtin.common import NonBlank, parse_input
from skills.builtin.findings import render_findings
from skills.builtin.sections import FINDINGS_FOLDER
from skills.contracts import Fail, SkillResult, SwarmContext, SwarmSkill
from skills.offline import CorpusError, CorpusIndex, Passage, evidence_strength, keywords

__all__ = ["Research", "ResearchInput", "search_corpus"]


class ResearchInput(BaseModel):
    """`question` (a plan file may call it `query`), where the corpus and its index are,
    and how many passages to keep."""

    model_config = ConfigDict(extra="forbid")

    question: NonBlank = Field(validation_alias=AliasChoices("question", "query"))
    corpus: str | None = None
    index: str | None = None
    limit: int = Field(default=5, ge=1, le=50)


def search_corpus(index: Path, corpus: Path, question: str, limit: int) -> list[Passage]:
    """The best `limit` passages for `question`; `Fail` when the corpus cannot be used."""
    if not corpus.is_dir():
        raise Fail(f"research: corpus {corpus} does not exist or is not a directory")
    searcher = CorpusIndex(index, corpus)
    try:
        if not index.exists():
            searcher.refresh()
        return searcher.search(question, limit)
    except CorpusError as exc:
        raise Fail(f"research: {exc}") from exc


class Research(SwarmSkill):
    """Search the corpus index for the sub-question; write the passages to `findings/`."""

    name = "research"
    roles = ("researcher",)
    input_model = ResearchInput

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        given = parse_input(ResearchInput, ctx.input, self.name)
        if not given.corpus or not given.index:
            absent = " and ".join(f"input.{name}" for name in ("corpus", "index")
                                  if not getattr(given, name))
            raise Fail(f"research: {absent} missing: the task must name the corpus "
                       "directory and its index file (the planner passes both)")
        await ctx.progress(0.0, f"searching the corpus: {given.question}")
        passages = await asyncio.to_thread(
            search_corpus, Path(given.index), Path(given.corpus), given.question, given.limit)
        strength = evidence_strength(passages, keywords(given.question))
        citations = list(dict.fromkeys(p.citation for p in passages))
        path = ctx.blackboard.write_output(
            FINDINGS_FOLDER, "research", render_findings(given.question, passages, strength),
            sources=citations)
        files = len({p.path for p in passages})
        await ctx.progress(1.0, f"{len(passages)} passages from {files} files, "
                                    f"evidence {strength}")
        return SkillResult(
            summary=f"{given.question}: {strength} evidence, {len(passages)} passages",
            files=[path], data={"question": given.question, "strength": strength,
                                "citations": citations})
