"""Tool calls written as JSON in the answer's text, for servers without native tool calls.

The model is shown the tools in its instructions and asked to answer with one object,
`{"tool": "NAME", "arguments": {...}}`; a fenced block or prose around it is tolerated.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from skills.agents.tools import Tool
from skills.llm import ToolCall

__all__ = ["describe_tools", "parse_text_call", "tool_answer_message"]


def describe_tools(tools: Iterable[Tool]) -> str:
    """The tools, for a system prompt."""
    lines = ["You call a tool by answering with one JSON object and nothing else:",
             '{"tool": "NAME", "arguments": {...}}', "The tools:"]
    for each in tools:
        properties = each.arguments.model_json_schema().get("properties", {})
        lines.append(f"- {each.name}({', '.join(properties)}): {each.description}")
    return "\n".join(lines)


def parse_text_call(text: str, known: Iterable[str], number: int) -> ToolCall | None:
    """The tool call written in `text`, or None when it holds none of a known tool."""
    found = _json_object(text)
    if found is None:
        return None
    name = found.get("tool", found.get("name"))
    if not isinstance(name, str) or name not in set(known):
        return None
    arguments = found.get("arguments", found.get("parameters", {}))
    if isinstance(arguments, str):
        return ToolCall(id=f"text_{number}", name=name, arguments=arguments)
    return ToolCall(id=f"text_{number}", name=name, arguments=json.dumps(arguments or {}))


def tool_answer_message(name: str, answer: str) -> dict[str, Any]:
    """A tool's answer as the next user message (servers without tool calls know no
    `tool` role)."""
    return {"role": "user", "content": f"The tool {name} answered:\n{answer}"}


def _json_object(text: str) -> dict[str, Any] | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None
    try:
        found = json.loads(text[start:end + 1])
    except ValueError:
        return None
    return found if isinstance(found, dict) else None
