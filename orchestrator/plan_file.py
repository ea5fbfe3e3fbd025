"""`--plan FILE`: a plan given as TOML or JSON instead of the planner's.

The format is in docs/interfaces.md, "Plan files".
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from skills import SkillRegistry
from skills.plan_model import PlanFile, PlanTask, describe_plan_errors
from skills.roles import COORDINATOR, DEFAULT_SKILL_FOR_ROLE
from taskqueue import HUMAN_ROLE, InvalidTask, NewTask, SwarmError
from taskqueue.plan_graph import check_plan_graph


class PlanFileError(SwarmError):
    """A plan file was refused; nothing was enqueued."""


def load_plan(
    path: Path, *, request: str, roles: Collection[str], registry: SkillRegistry,
    max_attempts: int,
) -> list[NewTask]:
    """The plan's tasks, checked, with a final synthesis added when the plan has none."""
    raw = _read(path)
    try:
        plan = PlanFile.model_validate(raw)
    except ValidationError as exc:
        raise PlanFileError(f"{path}: {describe_plan_errors(exc, raw)}") from exc
    tasks = [_new_task(t, max_attempts) for t in plan.tasks]
    if not any(t.role == COORDINATOR for t in plan.tasks):
        tasks.append(NewTask(
            key="synthesize", role=COORDINATOR, skill=DEFAULT_SKILL_FOR_ROLE[COORDINATOR],
            title="Final report",
            depends_on=[t.id for t in plan.tasks], run_on_partial=True,
            max_attempts=max_attempts,
            input={"request": request, "questions": [t.title or t.id for t in plan.tasks]},
        ))
    try:
        check_plan_graph(tasks)
    except InvalidTask as exc:
        raise PlanFileError(f"{path}: {exc}") from exc
    for task in plan.tasks:
        _check_role_and_skill(path, task, roles, registry)
    return tasks


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PlanFileError(f"{path}: no such plan file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: cannot be read ({exc})") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix == ".json":
            return json.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanFileError(f"{path}: not valid TOML ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{path}: not valid JSON ({exc})") from exc
    raise PlanFileError(f"{path}: a plan file must end in .toml or .json")


def _new_task(task: PlanTask, max_attempts: int) -> NewTask:
    return NewTask(
        key=task.id, role=task.role, skill=task.skill, title=task.title or task.id,
        priority=task.priority, depends_on=list(task.depends_on),
        max_attempts=task.max_attempts or max_attempts, timeout_s=task.timeout_s,
        input=task.input,
    )


def _check_role_and_skill(
    path: Path, task: PlanTask, roles: Collection[str], registry: SkillRegistry
) -> None:
    if task.role == HUMAN_ROLE:
        # A person answers it (`swarm answer`): no worker, so no skill to run.
        if task.skill is not None:
            raise PlanFileError(f"{path}: task {task.id!r}: a task of role {HUMAN_ROLE!r} is "
                                f"answered by a person and runs no skill (remove skill = "
                                f"{task.skill!r})")
        return
    if task.role not in roles:
        known = ", ".join(sorted(roles))
        raise PlanFileError(f"{path}: task {task.id!r}: unknown role {task.role!r} "
                            f"(known roles: {known})")
    try:
        spec = registry.for_task(task.skill, task.role)
    except SwarmError as exc:
        raise PlanFileError(f"{path}: task {task.id!r}: {exc}") from exc
    if not spec.allows_role(task.role):
        raise PlanFileError(f"{path}: task {task.id!r}: skill {spec.name!r} may run only "
                            f"in roles {list(spec.roles)}")
