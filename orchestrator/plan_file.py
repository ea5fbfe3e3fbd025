"""`--plan FILE`: a plan given as TOML or JSON instead of the planner's (INTERFACES.md)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skills import SkillRegistry
from taskqueue import InvalidTask, NewTask, SwarmError
from taskqueue.plan_graph import check_plan_graph


class PlanFileError(SwarmError):
    """A plan file was refused; nothing was enqueued."""


class PlanTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    role: str = Field(min_length=1)
    skill: str | None = None
    title: str = ""
    priority: int = 0
    depends_on: list[str] = Field(default_factory=list)
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    timeout_s: float | None = Field(default=None, gt=0)
    input: dict[str, Any] = Field(default_factory=dict)


class PlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: list[PlanTask] = Field(min_length=1)


def load_plan(
    path: Path, *, request: str, roles: Collection[str], registry: SkillRegistry,
    max_attempts: int,
) -> list[NewTask]:
    """The plan's tasks, checked, with a final synthesis added when the plan has none."""
    raw = _read(path)
    try:
        plan = PlanFile.model_validate(raw)
    except ValidationError as exc:
        raise PlanFileError(f"{path}: {_describe(exc, raw)}") from exc
    tasks = [_new_task(t, max_attempts) for t in plan.tasks]
    if not any(t.role == "coordinator" for t in plan.tasks):
        tasks.append(NewTask(
            key="synthesize", role="coordinator", skill="synthesize", title="Final report",
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


def _describe(exc: ValidationError, raw: Any) -> str:
    """Name the task by its id where the file gives one: `task 'scan': priority: …`."""
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int):
            task_id = _task_id(raw, loc[1])
            field = ".".join(str(p) for p in loc[2:]) or "(the task)"
            where = f"task {task_id}: {field}"
        reason = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        problems.append(f"{where}: {reason}")
    return "; ".join(problems)


def _task_id(raw: Any, index: int) -> str:
    try:
        task_id = raw["tasks"][index].get("id")
    except (KeyError, IndexError, TypeError, AttributeError):
        task_id = None
    return repr(task_id) if isinstance(task_id, str) else f"#{index + 1}"


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
    if task.role not in roles:
        known = ", ".join(sorted(roles))
        raise PlanFileError(f"{path}: task {task.id!r}: unknown role {task.role!r} "
                            f"(roles with workers: {known})")
    try:
        spec = registry.for_task(task.skill, task.role)
    except SwarmError as exc:
        raise PlanFileError(f"{path}: task {task.id!r}: {exc}") from exc
    if not spec.allows_role(task.role):
        raise PlanFileError(f"{path}: task {task.id!r}: skill {spec.name!r} may run only "
                            f"in roles {list(spec.roles)}")
