"""`noop`: does nothing; measures the cost of the machinery around a skill."""

from __future__ import annotations

from skills.contracts import SkillResult, SwarmContext, SwarmSkill


class Noop(SwarmSkill):
    name = "noop"

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        return SkillResult()
