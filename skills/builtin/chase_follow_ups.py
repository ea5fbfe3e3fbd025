"""Enqueueing chases: a researcher (or a chase, one level down) hands each identifier its
passages name to a `chase` task of its own, which the stages after it wait for.

The tasks that consume the enqueuer's output (those that depend on it: the analysis, the
design, the synthesis) are named in `before`, so they wait for the chases too. The
session's cap is kept by the store: chase `k` takes the key `chase-k`, unique in the
session, for `k` up to `per_session`, so researchers racing for the last slots cannot
both take one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from blackboard import BlackboardError
from blackboard.layout import PLAN_FILE
from skills.contracts import SwarmContext
from skills.offline import CorpusIndex, Passage
from skills.offline.chase import ChaseLimits, Followed, chaseable
from skills.offline.identifiers import question_terms
from skills.roles import RESEARCHER
from skills.writing.plan_md import FOLLOW_UPS_HEADING, render_follow_ups
from taskqueue import DuplicateTaskKey, TaskStatus

__all__ = ["CHASE_SKILL", "ChaseRequest", "chase_key", "enqueue_chases"]

logger = logging.getLogger(__name__)

CHASE_SKILL = "chase"
_KEY_PREFIX = "chase-"
_NOT_STARTED = (TaskStatus.QUEUED, TaskStatus.BLOCKED)
# Rewrites of plan.md by one researcher while chases keep coming: a bound, never reached
# unless chases are enqueued faster than a file is written.
PLAN_REWRITES = 8


def chase_key(slot: int) -> str:
    """The key of the session's chase in `slot` (1 to `per_session`)."""
    return f"{_KEY_PREFIX}{slot}"


@dataclass(frozen=True)
class ChaseRequest:
    """What to chase from: the sub-question and its corpus, the passages whose
    identifiers are followed, the citations already found, and how far to go."""

    question: str
    corpus: str
    index: str
    limit: int
    found: list[Passage]
    seen: set[str]
    budget: int
    level: int
    limits: ChaseLimits


async def enqueue_chases(ctx: SwarmContext, request: ChaseRequest) -> list[int]:
    """Enqueue a chase per identifier `request.found` names (up to its budget and the
    session's cap), after this task and before its consumers; their ids."""
    tasks = await ctx.session_tasks()
    mine = [t for t in tasks if ctx.task_id in t.depends_on]
    if request.budget <= 0 or any(t.skill == CHASE_SKILL for t in mine):
        return []  # nothing to follow, or an earlier attempt enqueued them
    chased = {str(t.input.get("identifier", "")).lower() for t in tasks
              if t.skill == CHASE_SKILL}
    skipped = {term.lower() for term in question_terms(request.question)} | chased
    # The corpus as this host reads it (a snapshot on a host that shares only the store);
    # the chases are handed the session's own paths, as this task was.
    corpus, index = await ctx.corpus_paths(request.corpus, request.index)
    picked = await asyncio.to_thread(
        chaseable, CorpusIndex(index, corpus), request.found, request.budget, skipped,
        set(request.seen))
    priority = next((t.priority for t in tasks if t.id == ctx.task_id), 0)
    waiters = [t.id for t in mine if t.status in _NOT_STARTED]
    ids: list[int] = []
    for followed, budget in zip(picked, _shares(request.budget - len(picked), len(picked)),
                                strict=True):
        task_id = await _enqueue_one(ctx, request, followed, budget, priority, waiters)
        if task_id is None:
            break
        ids.append(task_id)
    if ids:
        await show_in_plan(ctx)
    return ids


def _shares(left: int, among: int) -> list[int]:
    """`left` identifiers split among `among` chases, the first ones getting more."""
    return [left // among + (1 if i < left % among else 0) for i in range(among)]


async def _enqueue_one(ctx: SwarmContext, request: ChaseRequest, followed: Followed,
                       budget: int, priority: int, waiters: list[int]) -> int | None:
    """Enqueue the chase of one identifier in the first free slot; None once the
    session's cap is spent."""
    while True:
        taken = {t.key for t in await ctx.session_tasks() if t.key}
        slot = next((k for k in range(1, request.limits.per_session + 1)
                     if chase_key(k) not in taken), None)
        if slot is None:
            return None
        named = followed.named
        try:
            return await ctx.enqueue(
                role=RESEARCHER, skill=CHASE_SKILL, key=chase_key(slot),
                title=f"Chase {named.name}: {request.question}", priority=priority,
                depends_on=[ctx.task_id], before=waiters, run_on_partial=True,
                input={"question": request.question, "corpus": request.corpus,
                       "index": request.index, "limit": request.limit,
                       "identifier": named.name, "seen_in": named.seen_in,
                       "compound": named.compound, "level": request.level,
                       "budget": budget if request.level < request.limits.depth else 0,
                       "limits": request.limits.model_dump()})
        except DuplicateTaskKey:
            # Another researcher took the slot between our read and our enqueue.
            logger.info("chase slot %s was taken meanwhile; trying the next", slot)


async def show_in_plan(ctx: SwarmContext) -> None:
    """Rewrite plan.md's follow-ups from the store: every chase enqueued so far.

    Researchers rewrite it concurrently, so one may write a list older than the one just
    written by another. Each looks again after its write and writes again if a chase came
    meanwhile: the last to look has written every chase enqueued before it looked, and a
    chase enqueued after that is shown by its own enqueuer's rewrite.
    """
    shown = None
    for _ in range(PLAN_REWRITES):
        follow_ups = render_follow_ups(await ctx.session_tasks(), CHASE_SKILL)
        if follow_ups == shown:
            return
        try:
            planned = ctx.blackboard.read(PLAN_FILE).split(FOLLOW_UPS_HEADING, 1)[0]
        except BlackboardError:
            planned = ""
        ctx.blackboard.write_shared(PLAN_FILE, planned.rstrip("\n") + "\n\n" + follow_ups)
        shown = follow_ups
