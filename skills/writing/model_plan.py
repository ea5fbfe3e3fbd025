"""The planner with a model: ask for a plan as JSON, check it as a `--plan` file is
checked, give one repair round with the reasons, then hand over to the offline planner.

The plan the model may write is the research → analysis/design → critique part; the
planner fills each task's input (the corpus and its index, the request and the
sub-questions) and adds the final synthesis itself, so a model cannot leave the session
without a report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from skills.contracts import SwarmContext
from skills.inputs import describe_input_errors
from skills.llm import ChatMessage
from skills.plan_model import PlanFile, PlanTask, describe_plan_errors
from skills.roles import (
    ANALYST,
    ARCHITECT,
    COORDINATOR,
    CRITIC,
    DEFAULT_SKILL_FOR_ROLE,
    RESEARCHER,
)
from skills.writing.asking import Fallback, ask_messages, italic_note
from skills.writing.common import DownstreamInput, ResearchInput, one_line
from skills.writing.prompts import PLANNER_PROMPT, REPAIR_PROMPT
from taskqueue import HUMAN_ROLE, InvalidTask, NewTask, Task
from taskqueue.plan_graph import check_plan_graph

__all__ = ["ChosenPlan", "PlanRefused", "PlanSettings", "as_planned", "choose_plan",
           "plan_from_answer"]

# The roles a model's plan may use, and the skill each runs.
PLANNABLE = {role: DEFAULT_SKILL_FOR_ROLE[role]
             for role in (RESEARCHER, ANALYST, ARCHITECT, CRITIC)}
MAX_TASKS = 24
_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(?P<body>.*)\n\s*```\s*$", re.DOTALL)

OfflinePlan = Callable[[], tuple[list[NewTask], list[str]]]


class PlanRefused(Exception):
    """The model's answer is not a plan we can run; the message says why."""


@dataclass(frozen=True)
class ChosenPlan:
    tasks: list[NewTask]
    questions: list[str]
    note: str  # for plan.md: who made the plan, and why the model did not


@dataclass(frozen=True)
class PlanSettings:
    """What the planner's input sets for every task it plans."""

    request: str
    corpus: str | None
    index: str | None
    max_attempts: int
    timeout_s: float | None
    review: bool = False


async def choose_plan(ctx: SwarmContext, settings: PlanSettings, prefix: str,
                      offline: OfflinePlan) -> ChosenPlan:
    """The model's plan when there is a model and it plans well; else the offline one."""
    if ctx.llm is None:
        return ChosenPlan(*offline(), note="")
    await ctx.progress(0.0, "asking the model for a plan")
    messages: list[ChatMessage] = [{"role": "system", "content": PLANNER_PROMPT},
                                   {"role": "user", "content": f"Request: {settings.request}"}]
    refusals: list[str] = []
    for _ in range(2):  # the first answer, then one repair round
        reply = await ask_messages(ctx, messages, json_mode=True)
        if reply is None or isinstance(reply, Fallback):
            why = reply.note if reply else "no model"
            return _offline(offline, "; ".join([*refusals, why]))
        try:
            tasks, questions = plan_from_answer(reply.text, settings, prefix)
        except PlanRefused as exc:
            refusals.append(f"refused: {exc}")
            messages += [{"role": "assistant", "content": reply.text},
                         {"role": "user", "content": REPAIR_PROMPT.format(errors=exc)}]
            continue
        how = " after one repair round" if refusals else ""
        model = ctx.llm.model_name
        return ChosenPlan(tasks, questions, f"\n_Planned by the model `{model}`{how}._\n")
    return _offline(offline, "; ".join(refusals) + "; no repair round is left")


def _offline(offline: OfflinePlan, why: str) -> ChosenPlan:
    note = italic_note(f"the model's plan was not used ({why}), so the offline planner "
                       "made this plan")
    return ChosenPlan(*offline(), note=f"\n{note}\n")


def plan_from_answer(text: str, settings: PlanSettings, prefix: str
                     ) -> tuple[list[NewTask], list[str]]:
    """The tasks of the model's answer, checked and completed, and its sub-questions;
    `PlanRefused` saying why otherwise."""
    fenced = _FENCE.match(text)
    try:
        raw = json.loads(fenced["body"] if fenced else text)
    except ValueError as exc:
        raise PlanRefused(f"the answer is not JSON ({exc})") from exc
    try:
        plan = PlanFile.model_validate(raw)
    except ValidationError as exc:
        raise PlanRefused(describe_plan_errors(exc, raw)) from exc
    if len(plan.tasks) > MAX_TASKS:
        raise PlanRefused(f"{len(plan.tasks)} tasks: a plan has at most {MAX_TASKS}")
    for task in plan.tasks:
        _check_role(task)
    questions = [_question(t) for t in plan.tasks if t.role == RESEARCHER]
    if not questions:
        raise PlanRefused("the plan has no researcher task: nothing would be found")
    tasks = [_new_task(t, settings, prefix, questions) for t in plan.tasks]
    tasks += _closing_tasks(tasks, settings, prefix, questions)
    try:
        check_plan_graph(tasks)
    except InvalidTask as exc:
        raise PlanRefused(str(exc).replace(prefix, "")) from exc
    return tasks, questions


def _check_role(task: PlanTask) -> None:
    if task.role not in PLANNABLE:
        raise PlanRefused(f"task {task.id!r}: role {task.role!r} is not one of "
                          f"{sorted(PLANNABLE)}")
    if task.skill not in (None, PLANNABLE[task.role]):
        raise PlanRefused(f"task {task.id!r}: role {task.role!r} runs skill "
                          f"{PLANNABLE[task.role]!r}, not {task.skill!r}")


def _question(task: PlanTask) -> str:
    given = task.input.get("question", task.input.get("query", task.title))
    if not isinstance(given, str) or not given.strip():
        raise PlanRefused(f"task {task.id!r}: a researcher task needs input.question")
    return one_line(given)


def _new_task(task: PlanTask, settings: PlanSettings, prefix: str, questions: list[str]
              ) -> NewTask:
    model: type[BaseModel]
    if task.role == RESEARCHER:
        model = ResearchInput
        given = {**{k: v for k, v in task.input.items() if k not in ("question", "query")},
                 "question": _question(task), "corpus": settings.corpus,
                 "index": settings.index}
    else:
        model = DownstreamInput
        given = {**task.input, "request": settings.request, "questions": questions}
    try:
        model.model_validate(given)
    except ValidationError as exc:
        raise PlanRefused(f"task {task.id!r}: {describe_input_errors(exc)}") from exc
    return NewTask(
        key=prefix + task.id, role=task.role, skill=PLANNABLE[task.role],
        title=one_line(task.title) or (given.get("question") or task.id),
        priority=task.priority, depends_on=[prefix + d for d in task.depends_on],
        max_attempts=task.max_attempts or settings.max_attempts,
        timeout_s=task.timeout_s or settings.timeout_s, input=given)


def _closing_tasks(tasks: list[NewTask], settings: PlanSettings, prefix: str,
                   questions: list[str]) -> list[NewTask]:
    """The person's review (when asked for) and the synthesis after everything."""
    shared = {"request": settings.request, "questions": questions}
    before = [t.key for t in tasks if t.key]
    closing: list[NewTask] = []
    if settings.review:
        reviewed = [t.key for t in tasks if t.key and t.role in (ARCHITECT, CRITIC)]
        closing.append(NewTask(
            key=prefix + "review", role=HUMAN_ROLE, title="Review the design",
            depends_on=list(reviewed), input={**shared, "question": (
                "Read designs/ and critiques/: approve the outline or say what must change.")}))
    closing.append(NewTask(
        key=prefix + "synthesize", role=COORDINATOR, skill=DEFAULT_SKILL_FOR_ROLE[COORDINATOR],
        title="Write the final report", depends_on=[*before, *(t.key for t in closing if t.key)],
        max_attempts=settings.max_attempts, timeout_s=settings.timeout_s, input=shared,
        run_on_partial=True))
    return closing


def as_planned(enqueued: list[Task]) -> tuple[list[NewTask], list[str]]:
    """Tasks an earlier attempt enqueued, as plan.md shows them, and their sub-questions."""
    keys = {t.id: t.key or f"#{t.id}" for t in enqueued}
    shown = [NewTask(key=t.key, role=t.role, skill=t.skill, title=t.title,
                     depends_on=[keys.get(d, d) for d in t.depends_on],
                     run_on_partial=t.run_on_partial) for t in enqueued]
    questions = [str(t.input.get("question", t.title)) for t in enqueued
                 if t.role == RESEARCHER]
    return shown, questions
