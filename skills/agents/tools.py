"""Tools an agent may call: plain typed functions, each described to the model by a JSON
schema that pydantic reads from its signature.

A tool function's parameters are its arguments; a first parameter named `ctx` is not an
argument but the agent's `ToolContext` (its task, blackboard, corpus, fan-out counts).
What a tool returns is given back to the model: text as it is, anything else as JSON. A
tool that raises has its error given back as its answer, so the model can try again.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from skills.errors import SkillLoadError
from skills.inputs import describe_input_errors

__all__ = ["TOOL_MARK", "Tool", "ToolError", "ToolRegistry", "tool", "tool_from_function"]

# Set on a function by `@tool`; the skill loader adds marked functions of a skill file.
TOOL_MARK = "__swarm_tool__"
# The name of the parameter that receives the agent's context rather than an argument.
CONTEXT_PARAMETER = "ctx"


class ToolError(Exception):
    """A tool cannot do what was asked; the message goes back to the model."""


@dataclass(frozen=True)
class Tool:
    """One tool: its name, what the model is told of it, and the function behind it."""

    name: str
    description: str
    arguments: type[BaseModel]
    function: Callable[..., Any]
    takes_context: bool
    origin: str = "builtin"

    def schema(self) -> dict[str, Any]:
        """The tool as a chat-completions `tools` entry."""
        return {"type": "function", "function": {
            "name": self.name, "description": self.description,
            "parameters": parameters_schema(self.arguments)}}

    async def call(self, context: Any, arguments: dict[str, Any]) -> str:
        """Run the tool; its answer as text. Raises `ToolError` for bad arguments."""
        try:
            values = dict(self.arguments.model_validate(arguments))
        except ValidationError as exc:
            raise ToolError(describe_input_errors(exc).replace("input.", "")) from exc
        if self.takes_context:
            values[CONTEXT_PARAMETER] = context
        if inspect.iscoroutinefunction(self.function):
            answer = await self.function(**values)
        else:
            # A plain function may block (a search, a file): off the event loop.
            answer = await asyncio.to_thread(self.function, **values)
        return as_text(answer)


@functools.cache
def parameters_schema(arguments: type[BaseModel]) -> dict[str, Any]:
    """A tool's arguments as JSON schema, made once per model: pydantic takes about half a
    millisecond for each, and every agent task sends its tools on every call. Shared:
    read, never changed."""
    parameters = arguments.model_json_schema()
    parameters.pop("title", None)
    return parameters


def as_text(answer: Any) -> str:
    if isinstance(answer, str):
        return answer
    if isinstance(answer, BaseModel):
        return answer.model_dump_json()
    return json.dumps(answer, ensure_ascii=False, default=str)


def tool(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a function of a skill file as a tool for agents (its name is the tool's)."""
    setattr(function, TOOL_MARK, True)
    return function


def tool_from_function(function: Callable[..., Any], origin: str = "builtin") -> Tool:
    """A tool from a typed function: arguments from its signature, description from the
    first paragraph of its docstring."""
    name = function.__name__
    parameters = list(inspect.signature(function).parameters.values())
    takes_context = bool(parameters) and parameters[0].name == CONTEXT_PARAMETER
    try:
        annotations = inspect.get_annotations(function, eval_str=True)
        fields: dict[str, Any] = {
            p.name: (annotations.get(p.name, Any),
                     ... if p.default is inspect.Parameter.empty else p.default)
            for p in parameters[1 if takes_context else 0:]
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)}
        model: type[BaseModel] = create_model(
            f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
    except Exception as exc:
        raise SkillLoadError(f"{origin}: tool {name!r}: its arguments cannot be described "
                             f"({type(exc).__name__}: {exc})") from exc
    doc = inspect.getdoc(function) or ""
    description = doc.split("\n\n")[0].replace("\n", " ").strip() or name
    return Tool(name, description, model, function, takes_context, origin)


class ToolRegistry:
    """The tools agents of this process may be given, by name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for each in tools:
            self.add(each)

    def add(self, added: Tool) -> None:
        taken = self._tools.get(added.name)
        if taken is not None and taken.origin != added.origin:
            raise SkillLoadError(f"{added.origin}: tool {added.name!r} is already defined "
                                 f"by {taken.origin}")
        self._tools[added.name] = added

    def forget(self, origin: str) -> None:
        for name in [n for n, t in self._tools.items() if t.origin == origin]:
            del self._tools[name]

    def names(self) -> list[str]:
        return sorted(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def pick(self, names: Iterable[str]) -> dict[str, Tool]:
        """The named tools; `KeyError` names the first that is not here."""
        return {name: self._tools[name] for name in names}
