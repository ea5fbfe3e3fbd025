"""Skills: the two contracts, the registry, the task context and the built-in skills."""

from skills.context import TaskContext
from skills.contracts import SkillResult, SwarmContext, SwarmSkill
from skills.errors import BadSkillInput, Fail, Retry, SkillLoadError, UnknownSkill
from skills.loader import SkillKind, SkillSpec
from skills.registry import LoadFailure, SkillRegistry
from skills.roles import DEFAULT_SKILL_FOR_ROLE
from skills.runner import SyncSkillTimedOut, run_skill

__all__ = [
    "DEFAULT_SKILL_FOR_ROLE",
    "BadSkillInput",
    "Fail",
    "LoadFailure",
    "Retry",
    "SkillKind",
    "SkillLoadError",
    "SkillRegistry",
    "SkillResult",
    "SkillSpec",
    "SwarmContext",
    "SwarmSkill",
    "SyncSkillTimedOut",
    "TaskContext",
    "UnknownSkill",
    "run_skill",
]
