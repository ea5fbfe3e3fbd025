"""The role table: each role's default skill is a built-in that may run in it, and what a
skill returns lands in one of the blackboard's folders."""

from __future__ import annotations

from types import SimpleNamespace

from blackboard import FINDINGS, FOLDERS
from skills import SkillRegistry
from skills.roles import (
    COORDINATOR,
    PLANNER,
    RESEARCHER,
    ROLES,
    default_skill,
    goes_on_when_budget_spent,
    output_folder,
)


def test_each_roles_default_skill_is_a_builtin_allowed_in_that_role() -> None:
    registry = SkillRegistry()
    registry.add_builtins()
    for role in ROLES:
        assert registry.for_task(None, role.name).allows_role(role.name)
        assert default_skill(role.name) == role.default_skill


def test_returned_values_go_to_a_session_folder_and_a_users_role_to_findings() -> None:
    assert {output_folder(role.name) for role in ROLES if role.name != PLANNER} <= set(FOLDERS)
    assert output_folder(PLANNER) == ""
    assert output_folder("translator") == FINDINGS


def test_the_planner_and_the_synthesis_go_on_when_the_budget_is_spent() -> None:
    def task(role: str, skill: str | None = None) -> SimpleNamespace:
        return SimpleNamespace(role=role, skill=skill)

    assert goes_on_when_budget_spent(task(PLANNER))
    assert goes_on_when_budget_spent(task(COORDINATOR))
    assert goes_on_when_budget_spent(task("translator", "synthesize"))
    assert not goes_on_when_budget_spent(task(RESEARCHER))
    assert not goes_on_when_budget_spent(task(COORDINATOR, "noop"))
