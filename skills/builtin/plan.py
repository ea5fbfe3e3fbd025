"""`plan`: the planner. Offline it splits the request into sub-questions and enqueues the
graph research → analysis and design → critique → synthesis, and shows it in `plan.md`;
with a model, the model may plan instead (`model_plan.py`).

The planner is a task like any other, so it may run twice (its worker died after the
plan was enqueued). Its tasks' keys carry its own task id, and a second attempt that
finds them in the session enqueues nothing again.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from blackboard.layout import PLAN_FILE
from skills.contracts import SkillResult, SwarmContext, SwarmSkill
from skills.offline import split_request
from skills.offline.chase import ChaseLimits
from skills.roles import (
    ANALYST,
    ARCHITECT,
    COORDINATOR,
    CRITIC,
    DEFAULT_SKILL_FOR_ROLE,
    PLANNER,
    RESEARCHER,
)
from skills.writing.common import NonBlank, params_of
from skills.writing.model_plan import PlanSettings, as_planned, choose_plan
from skills.writing.plan_md import render_plan_md
from taskqueue import DEFAULT_MAX_ATTEMPTS, HUMAN_ROLE, DuplicateTaskKey, NewTask, Task

__all__ = ["Plan", "PlanInput", "build_offline_plan", "plan_key_prefix"]

class PlanInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: NonBlank
    corpus: str | None = None
    index: str | None = None
    max_attempts: int = Field(default=DEFAULT_MAX_ATTEMPTS, ge=1, le=100)
    task_timeout_s: float | None = Field(default=None, gt=0)
    # A person approves the design before the synthesis (`run --review`).
    review: bool = False
    # How far researchers chase definitions (config `[chase]`).
    chase: ChaseLimits = Field(default_factory=ChaseLimits)


def plan_key_prefix(task_id: int) -> str:
    """The prefix of the keys of the tasks that planning task `task_id` enqueues."""
    return f"p{task_id}:"


def build_offline_plan(
    request: str, questions: Sequence[str], corpus: str | None, index: str | None,
    key_prefix: str, max_attempts: int = DEFAULT_MAX_ATTEMPTS, timeout_s: float | None = None,
    review: bool = False, chase: ChaseLimits | None = None,
) -> list[NewTask]:
    """The task graph for `questions`, as one batch for `enqueue_plan`.

    One `research` task per sub-question, the first with the highest priority; an
    `analyze` and a `design` after all the research; a `critique` after both; and a
    `synthesize` after everything, which runs even when some of it failed. With `review`,
    a task of role `human` after the design and the critique holds the synthesis back
    until a person answers it. With `chase` limits, each research task gets them, to
    enqueue its own chases (`chase_follow_ups.py`), which the later stages wait for too.
    """
    def task(name: str, role: str, title: str, depends_on: list[str | int],
             **extra: object) -> NewTask:
        # Each task names its role's skill, so that plan.md shows what will run.
        return NewTask.model_validate({
            "key": key_prefix + name, "role": role, "skill": DEFAULT_SKILL_FOR_ROLE[role],
            "title": title, "depends_on": depends_on, "max_attempts": max_attempts,
            "timeout_s": timeout_s, **extra,
        })

    def shared() -> dict[str, object]:
        return {"request": request, "questions": list(questions)}

    # The researchers enqueue their chases, which the later stages then wait for too.
    chasing = ({"chase": chase.model_dump()}
               if chase and chase.per_research and corpus and index else {})
    research = [
        task(f"research-{i + 1}", RESEARCHER, question, [], priority=len(questions) - i,
             input={"question": question, "corpus": corpus, "index": index, **chasing})
        for i, question in enumerate(questions)
    ]
    after_research: list[str | int] = [t.key for t in research if t.key]
    analyze = task("analyze", ANALYST, "Weigh the evidence for each sub-question",
                   after_research, input=shared())
    design = task("design", ARCHITECT, "Outline the answer from the findings",
                  after_research, input=shared())
    critique = task("critique", CRITIC, "Critique the outline",
                    [key_prefix + "design", key_prefix + "analyze"], input=shared())
    reviews = [NewTask(
        key=key_prefix + "review", role=HUMAN_ROLE, skill=None, title="Review the design",
        depends_on=[key_prefix + "design", key_prefix + "critique"],
        input={**shared(), "question": "Read designs/ and critiques/: approve the outline "
                                       "or say what must change."},
    )] if review else []
    synthesize = task("synthesize", COORDINATOR, "Write the final report",
                      [*after_research, key_prefix + "analyze", key_prefix + "design",
                       key_prefix + "critique", *[t.key for t in reviews if t.key]],
                      input=shared(), run_on_partial=True)
    return [*research, analyze, design, critique, *reviews, synthesize]


async def _enqueued_by(ctx: SwarmContext, prefix: str) -> list[Task]:
    """The tasks this planning task enqueued (in an earlier attempt), by id."""
    return sorted((t for t in await ctx.session_tasks()
                   if t.key is not None and t.key.startswith(prefix)), key=lambda t: t.id)


class Plan(SwarmSkill):
    """Split the request into sub-questions and enqueue the offline task graph."""

    name = "plan"
    roles = (PLANNER,)
    input_model = PlanInput

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        given = params_of(ctx, PlanInput)
        prefix = plan_key_prefix(ctx.task_id)

        def offline() -> tuple[list[NewTask], list[str]]:
            questions = split_request(given.request)
            return build_offline_plan(given.request, questions, given.corpus, given.index,
                                      prefix, given.max_attempts, given.task_timeout_s,
                                      review=given.review, chase=given.chase), questions

        already = await _enqueued_by(ctx, prefix)
        # With a model, the plan may be the model's (model_plan.py); an earlier attempt's
        # plan is never asked for again.
        chosen = None if already else await choose_plan(ctx, PlanSettings(
            given.request, given.corpus, given.index, given.max_attempts,
            given.task_timeout_s, given.review), prefix, offline)
        ids: list[int] = []
        if chosen is not None:
            await ctx.progress(0.1, f"{len(chosen.questions)} sub-questions")
            try:
                ids = await ctx.enqueue_plan(chosen.tasks)
            except DuplicateTaskKey:
                # The attempt this one replaced is still alive and got there first.
                already = await _enqueued_by(ctx, prefix)
        if already or chosen is None:
            tasks, questions = as_planned(already)
            ids = [t.id for t in already]
            note, shown = "the plan was enqueued by an earlier attempt", ""
        else:
            tasks, questions = chosen.tasks, chosen.questions
            note, shown = f"enqueued {len(ids)} tasks", chosen.note
        # Shared: the researchers add their follow-ups to it (chase_follow_ups.py).
        path = ctx.blackboard.write_shared(PLAN_FILE, render_plan_md(tasks) + shown)
        await ctx.progress(1.0, note)
        return SkillResult(summary=f"{len(questions)} sub-questions; {note}", files=[path],
                           data={"questions": questions, "task_ids": ids})
