"""`research`: the best passages of the local corpus for one sub-question, with citations.
With a model, also its answer to the sub-question from those passages, citing them.

The orchestrator builds the corpus index before the session starts and passes its path;
an index file that is missing (deleted, or a worker started on another machine's
workspace) is rebuilt here, since it is only a cache of the corpus. On a host that
shares only the store, `ctx.corpus_paths` gives the session's corpus snapshot instead.

With `chase` limits (config `[chase]`, passed by the planner), it then enqueues a `chase`
for each of up to `per_research` identifiers its passages name, which the tasks waiting
for this one wait for too (`chase_follow_ups.py`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from blackboard.layout import FINDINGS
from skills.builtin.chase_follow_ups import ChaseRequest, enqueue_chases
from skills.contracts import Fail, SkillResult, SwarmContext, SwarmSkill
from skills.offline import CorpusError, CorpusIndex, Passage, evidence_strength
from skills.offline.identifiers import question_terms
from skills.roles import RESEARCHER
from skills.writing.asking import Fallback, ask, italic_note
from skills.writing.citations import number_passages, resolve_citations
from skills.writing.common import ResearchInput, params_of
from skills.writing.findings import FindingPassage, render_findings
from skills.writing.prompts import RESEARCHER_PROMPT

__all__ = ["Research", "ResearchInput", "answer_from_passages", "search_corpus"]


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


async def answer_from_passages(ctx: SwarmContext, question: str, passages: list[Passage]
                               ) -> tuple[str, str]:
    """The model's answer with `[file:lines]` citations, and a note when there is none
    (offline, or nothing found: both empty)."""
    if not passages:
        return "", ""
    found = [FindingPassage.from_passage(p) for p in passages]
    reply = await ask(ctx, RESEARCHER_PROMPT,
                      f"Question: {question}\n\nPassages:\n\n{number_passages(found)}")
    if reply is None:
        return "", ""
    if isinstance(reply, Fallback):
        return "", italic_note(f"{reply.note}; the passages alone are kept")
    answer, used = resolve_citations(reply.text, [p.citation for p in found])
    if not used:
        return "", italic_note("the model's answer cited none of the passages, so it was "
                               "left out; the passages alone are kept")
    return answer.strip(), ""


class Research(SwarmSkill):
    """Search the corpus index for the sub-question; write the passages to `findings/`."""

    name = "research"
    roles = (RESEARCHER,)
    input_model = ResearchInput

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        given = params_of(ctx, ResearchInput)
        if not given.corpus or not given.index:
            absent = " and ".join(f"input.{name}" for name in ("corpus", "index")
                                  if not getattr(given, name))
            raise Fail(f"research: {absent} missing: the task must name the corpus "
                       "directory and its index file (the planner passes both)")
        await ctx.progress(0.0, f"searching the corpus: {given.question}")
        corpus, index = await ctx.corpus_paths(given.corpus, given.index)
        passages = await asyncio.to_thread(
            search_corpus, index, corpus, given.question, given.limit)
        strength = evidence_strength(passages, question_terms(given.question))
        citations = list(dict.fromkeys(p.citation for p in passages))
        answer, note = await answer_from_passages(ctx, given.question, passages)
        path = ctx.blackboard.write_output(
            FINDINGS, "research",
            render_findings(given.question, passages, strength, answer, note),
            sources=citations)
        chases = await enqueue_chases(ctx, ChaseRequest(
            given.question, given.corpus, given.index, given.limit, passages,
            {p.citation for p in passages}, given.chase.per_research, 1, given.chase,
        )) if given.chase else []
        files = len({p.path for p in passages})
        await ctx.progress(1.0, f"{len(passages)} passages from {files} files, "
                                f"evidence {strength}"
                                + (f"; {len(chases)} identifiers to chase" if chases else ""))
        return SkillResult(
            summary=f"{given.question}: {strength} evidence, {len(passages)} passages",
            files=[path], data={"question": given.question, "strength": strength,
                                "citations": citations, "chases": chases})
