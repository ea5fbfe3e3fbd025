"""The roles of a session, in one table: each role's default skill, the blackboard folder
its skills' returned values go to, and how many workers it gets unless configured.

A leaf: it imports only the blackboard's layout (names, nothing more), so that the
registry, the runner, the planners, the model client's caller and the orchestrator's
config can all read it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from blackboard.layout import ANALYSIS, CRITIQUES, DESIGNS, FINAL, FINDINGS

__all__ = [
    "ANALYST",
    "ARCHITECT",
    "COORDINATOR",
    "CRITIC",
    "DEFAULT_SKILL_FOR_ROLE",
    "PLANNER",
    "RESEARCHER",
    "ROLES",
    "AssignedTask",
    "Role",
    "default_skill",
    "goes_on_when_budget_spent",
    "output_folder",
]

PLANNER = "planner"
RESEARCHER = "researcher"
ANALYST = "analyst"
ARCHITECT = "architect"
CRITIC = "critic"
COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Role:
    """One role: the skill its tasks run when they name none, where what a skill returns
    is written, and its default worker processes and tasks per worker."""

    name: str
    default_skill: str
    output_folder: str
    workers: int = 1
    concurrency: int = 1


ROLES: tuple[Role, ...] = (
    # The planner writes plan.md itself, at the top of the session's blackboard.
    Role(PLANNER, "plan", ""),
    Role(RESEARCHER, "research", FINDINGS, workers=2),
    Role(ANALYST, "analyze", ANALYSIS),
    Role(ARCHITECT, "design", DESIGNS),
    Role(CRITIC, "critique", CRITIQUES),
    Role(COORDINATOR, "synthesize", FINAL),
)

DEFAULT_SKILL_FOR_ROLE: dict[str, str] = {role.name: role.default_skill for role in ROLES}
"""The skill a task runs when it names none, by role."""

_OUTPUT_FOLDER = {role.name: role.output_folder for role in ROLES}
# A role of the user's own (not in the table) writes what its skill returns here.
_OTHER_ROLES_FOLDER = FINDINGS

# When the session's token budget is spent, these go on offline instead of being
# cancelled: the planner, so that there is a plan with a synthesis, and the synthesis,
# so that there is a report.
_SKILLS_KEPT_WHEN_BUDGET_SPENT = frozenset({"plan", "synthesize"})


def default_skill(role: str) -> str | None:
    """The skill a task of `role` runs when it names none (None for a role of the user's)."""
    return DEFAULT_SKILL_FOR_ROLE.get(role)


def output_folder(role: str) -> str:
    """The blackboard folder that a value returned by a skill of `role` is written to."""
    return _OUTPUT_FOLDER.get(role, _OTHER_ROLES_FOLDER)


class AssignedTask(Protocol):
    """What the rules here read of a task (a `taskqueue.Task` is one)."""

    @property
    def skill(self) -> str | None: ...
    @property
    def role(self) -> str: ...


def goes_on_when_budget_spent(task: AssignedTask) -> bool:
    """Whether `task` goes on offline when the session's token budget is spent, rather
    than being cancelled (the model client's `keeps_running` rule)."""
    return (task.skill or default_skill(task.role)) in _SKILLS_KEPT_WHEN_BUDGET_SPENT
