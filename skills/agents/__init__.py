"""Agents: the `agent` skill's tool-calling loop, its tools, and how skill files add tools.

A skill file adds a tool with `@tool` on a typed function (see `skills.agents.tools`).
"""

from skills.agents.builtin_tools import ToolContext
from skills.agents.settings import AgentSettings, RoleSkill
from skills.agents.tools import Tool, ToolError, ToolRegistry, tool

__all__ = ["AgentSettings", "RoleSkill", "Tool", "ToolContext", "ToolError", "ToolRegistry",
           "tool"]
