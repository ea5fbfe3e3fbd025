"""`agent`: a swarm-aware skill that works towards a goal with tools.

The registry binds one `Agent` class to each role configured with `skill = "agent"`
(`agent_for_role`), carrying that role's settings and tools; the plain `agent` skill has
the defaults and the built-in tools.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from blackboard.layout import FINDINGS
from skills.agents.builtin_tools import BUILTIN_TOOLS, ToolContext
from skills.agents.settings import AGENT_SKILL, AgentSettings
from skills.agents.tools import Tool
from skills.contracts import Fail, Retry, SkillResult, SwarmContext, SwarmSkill
from skills.llm import LLMError
from skills.writing.common import params_of

__all__ = ["Agent", "AgentInput", "agent_for_role"]


class AgentInput(BaseModel):
    """An agent task's input: its goal; the corpus and index are given by the session."""

    model_config = ConfigDict(extra="forbid")

    goal: str = Field(min_length=1)
    corpus: str | None = None
    index: str | None = None
    spawn_depth: int = Field(default=0, ge=0)


class Agent(SwarmSkill):
    """Work towards `input.goal` with tools, step by step, with the model."""

    name = AGENT_SKILL
    input_model = AgentInput
    settings: ClassVar[AgentSettings] = AgentSettings()
    tools: ClassVar[dict[str, Tool]] = {
        t.name: t for t in BUILTIN_TOOLS if t.name in AgentSettings().tools}
    agent_roles: ClassVar[frozenset[str]] = frozenset()

    async def execute(self, ctx: SwarmContext) -> SkillResult:
        # Imported here: the loop and its trace are loaded by a worker that runs an agent,
        # not by every one whose registry lists the skill.
        from skills.agents.loop import run_agent
        from skills.agents.steps import Trace

        given = params_of(ctx, AgentInput)
        if ctx.llm is None:
            raise Fail("agent: no model is configured ([llm] base_url or SWARM_LLM_BASE_URL); "
                       "an agent cannot work offline")
        corpus, index = await _corpus_of(ctx, given)
        context = ToolContext(task=ctx, settings=self.settings, agent_roles=self.agent_roles,
                              corpus=corpus, index=index, depth=given.spawn_depth)
        trace = Trace(ctx, self.settings.max_steps)
        trace.open()
        try:
            outcome = await run_agent(ctx.llm, given.goal, self.tools, context, trace)
        except LLMError as exc:
            trace.ending = f"The model gave no answer: {exc}"
            await trace.save()
            raise Retry(f"agent: the model gave no answer ({exc})") from exc
        trace.ending = outcome.summary if outcome.finished else f"**{outcome.summary}**"
        # The trace's end and the note, each fsynced on a thread: at once, not in turn.
        _, note = await asyncio.gather(trace.save(), asyncio.to_thread(
            ctx.blackboard.write_output, FINDINGS, "agent",
            f"# {given.goal}\n\n{outcome.summary}\n", [trace.path]))
        return SkillResult(
            summary=outcome.summary[:200],
            files=[note, trace.path],
            data={"steps": outcome.steps, "finished": outcome.finished,
                  "spawned": context.spawned})


def agent_for_role(role: str, settings: AgentSettings, tools: dict[str, Tool],
                   agent_roles: frozenset[str]) -> type[Agent]:
    """The agent skill as role `role` runs it."""
    return type(f"Agent_{role}", (Agent,), {
        "__module__": __name__, "settings": settings, "tools": tools,
        "agent_roles": agent_roles})


async def _corpus_of(ctx: SwarmContext, given: AgentInput) -> tuple[Path | None, Path | None]:
    """The corpus and index the agent's tools read on this host (`ctx.corpus_paths`)."""
    if given.corpus and given.index:
        return await ctx.corpus_paths(given.corpus, given.index)
    return (Path(given.corpus) if given.corpus else None,
            Path(given.index) if given.index else None)
