"""The tool-calling loop: ask the model, run the tools it calls, give it their answers,
until it calls `finish`, answers without a tool, or runs out of steps.

One loop serves streamed and whole answers alike (the client reads either) and both tool
modes: native `tool_calls`, and JSON in the text for servers without them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from skills.agents.builtin_tools import ToolContext
from skills.agents.steps import StepCall, StepTrace, Trace
from skills.agents.text_calls import describe_tools, parse_text_call, tool_answer_message
from skills.agents.tools import Tool, ToolError
from skills.llm import ChatMessage, ChatModel, ChatResult, ToolCall

__all__ = ["AgentOutcome", "run_agent"]

FINISH = "finish"


@dataclass(frozen=True)
class AgentOutcome:
    """How the loop ended: `finished` by `finish` or a plain answer, else out of steps."""

    summary: str
    finished: bool
    steps: int


async def run_agent(model: ChatModel, goal: str, tools: dict[str, Tool],
                    context: ToolContext, trace: Trace) -> AgentOutcome:
    """Run the loop for one task; every step goes to `trace`."""
    settings = context.settings
    native = settings.tool_mode == "native"
    messages = _opening(settings.prompt, goal, tools, native)
    schemas = [t.schema() for t in tools.values()] if native else None
    for number in range(1, settings.max_steps + 1):
        answer = await model.chat(messages, tools=schemas)
        calls = _calls_of(answer, tools, number)
        step = StepTrace(number, answer.text, tokens_in=answer.tokens_in,
                         tokens_out=answer.tokens_out, latency_s=answer.latency_s)
        messages.append(_assistant_message(answer.text, calls, native))
        for call in calls:
            started = time.perf_counter()
            text, failed = await _run_call(call, tools, context)
            step.calls.append(StepCall(call.name, call.arguments, text, failed))
            step.latency_s += time.perf_counter() - started
            messages.append(_tool_message(call, text, native))
        await trace.add(step)
        if context.summary is not None:
            return AgentOutcome(context.summary, True, number)
        if not calls:
            return AgentOutcome(answer.text.strip(), True, number)
    note = (f"stopped after {settings.max_steps} steps (max_steps) without finishing; "
            "the trace shows how far it got")
    return AgentOutcome(note, False, settings.max_steps)


def _opening(prompt: str, goal: str, tools: dict[str, Tool], native: bool
             ) -> list[ChatMessage]:
    system = prompt if native else f"{prompt}\n\n{describe_tools(tools.values())}"
    return [{"role": "system", "content": system}, {"role": "user", "content": goal}]


def _calls_of(answer: ChatResult, tools: dict[str, Tool], number: int) -> list[ToolCall]:
    if answer.tool_calls:
        return list(answer.tool_calls)
    # A server that ignores `tools` may still follow a model that writes its call out.
    found = parse_text_call(answer.text, tools, number)
    return [found] if found is not None else []


async def _run_call(call: ToolCall, tools: dict[str, Tool], context: ToolContext
                    ) -> tuple[str, bool]:
    """The tool's answer, or its error as the answer (the model may try again)."""
    chosen = tools.get(call.name)
    if chosen is None:
        return f"error: no tool named {call.name!r} (you have: {', '.join(tools)})", True
    try:
        arguments = json.loads(call.arguments or "{}")
        if not isinstance(arguments, dict):
            raise ToolError("the arguments must be a JSON object")
        return await chosen.call(context, arguments), False
    except ValueError as exc:
        return f"error: the arguments are not JSON ({exc})", True
    except (ToolError, OSError) as exc:
        return f"error: {exc}", True
    except Exception as exc:
        # A tool's bug is the model's information too, not the task's end.
        return f"error: {type(exc).__name__}: {exc}", True


def _assistant_message(text: str, calls: list[ToolCall], native: bool) -> ChatMessage:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if native and calls and not any(c.id.startswith("text_") for c in calls):
        message["tool_calls"] = [c.as_wire() for c in calls]
        message["content"] = text or None
    return message


def _tool_message(call: ToolCall, text: str, native: bool) -> ChatMessage:
    if native and not call.id.startswith("text_"):
        return {"role": "tool", "tool_call_id": call.id, "content": text}
    return tool_answer_message(call.name, text)
