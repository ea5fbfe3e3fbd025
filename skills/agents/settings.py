"""An agent role's settings: `[roles.NAME]` in config.toml with `skill = "agent"`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AGENT_SKILL", "DEFAULT_AGENT_PROMPT", "DEFAULT_AGENT_TOOLS", "AgentSettings",
           "RoleSkill"]

AGENT_SKILL = "agent"

DEFAULT_AGENT_PROMPT = (
    "You are an agent of swarm. Work towards the goal with the tools you have; when it is "
    "reached, call `finish` with a short summary.")

DEFAULT_AGENT_TOOLS: tuple[str, ...] = (
    "search_corpus", "read_lines", "list_blackboard", "read_blackboard", "write_blackboard",
    "finish")

_AGENT_KEYS = ("prompt", "tools", "max_steps", "tool_mode", "max_spawn", "max_depth")


class AgentSettings(BaseModel):
    """How one role's agent works: its instructions, its tools, and its bounds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str = DEFAULT_AGENT_PROMPT
    tools: tuple[str, ...] = DEFAULT_AGENT_TOOLS
    max_steps: int = Field(default=8, ge=1, le=200)
    # "native": tools go in the request and come back as `tool_calls`; "text": for servers
    # without tool calls, the tools are described in the prompt and called in JSON text.
    tool_mode: Literal["native", "text"] = "native"
    # Tasks one agent task may add with `spawn_task`, and how deep spawned agents nest.
    max_spawn: int = Field(default=4, ge=0, le=64)
    max_depth: int = Field(default=2, ge=0, le=8)


class RoleSkill(BaseModel):
    """The skill keys of `[roles.NAME]`: which skill the role's tasks run when they name
    none, and, for an agent role, its settings."""

    model_config = ConfigDict(extra="forbid")

    skill: str | None = Field(default=None, min_length=1)
    prompt: str | None = Field(default=None, min_length=1)
    tools: list[str] | None = None
    max_steps: int | None = Field(default=None, ge=1, le=200)
    tool_mode: Literal["native", "text"] | None = None
    max_spawn: int | None = Field(default=None, ge=0, le=64)
    max_depth: int | None = Field(default=None, ge=0, le=8)

    @model_validator(mode="after")
    def _agent_keys_need_an_agent(self) -> RoleSkill:
        given = [key for key in _AGENT_KEYS if getattr(self, key) is not None]
        if given and self.skill != AGENT_SKILL:
            raise ValueError(f"{given[0]} is an agent's setting; add skill = \"{AGENT_SKILL}\"")
        return self

    @property
    def is_agent(self) -> bool:
        return self.skill == AGENT_SKILL

    def agent_settings(self) -> AgentSettings:
        given = {key: getattr(self, key) for key in _AGENT_KEYS if getattr(self, key) is not None}
        return AgentSettings.model_validate(given)
