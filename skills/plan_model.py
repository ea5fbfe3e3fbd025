"""A plan as data: what a `--plan` file holds and what the model planner must answer.

One model for both, so that a plan the model writes is refused for exactly the reasons a
plan file would be, and described the same way: `task 'scan': priority: …`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from taskqueue import describe_validation

__all__ = ["PlanFile", "PlanTask", "describe_plan_errors"]


class PlanTask(BaseModel):
    """One task of a plan; `depends_on` names other tasks of the plan by `id`."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    role: str = Field(min_length=1)
    skill: str | None = None
    title: str = ""
    # Bounded to SQLite's 64-bit integers, as NewTask is.
    priority: int = Field(default=0, ge=-(2**63), le=2**63 - 1)
    depends_on: list[str] = Field(default_factory=list)
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    timeout_s: float | None = Field(default=None, gt=0)
    input: dict[str, Any] = Field(default_factory=dict)


class PlanFile(BaseModel):
    """A whole plan: at least one task."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[PlanTask] = Field(min_length=1)


def describe_plan_errors(exc: ValidationError, raw: Any) -> str:
    """Name the task by its id where the plan gives one: `task 'scan': priority: …`."""

    def where(loc: tuple[int | str, ...]) -> str:
        if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int):
            field = ".".join(str(p) for p in loc[2:]) or "(the task)"
            return f"task {_task_id(raw, loc[1])}: {field}"
        return ".".join(str(p) for p in loc) or "(top level)"

    return describe_validation(exc, where)


def _task_id(raw: Any, index: int) -> str:
    try:
        task_id = raw["tasks"][index].get("id")
    except (KeyError, IndexError, TypeError, AttributeError):
        task_id = None
    return repr(task_id) if isinstance(task_id, str) else f"#{index + 1}"
