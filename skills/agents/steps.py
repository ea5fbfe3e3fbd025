"""An agent's steps: each one published on the bus with the task's progress (one write to
the store), and the trace kept on the blackboard at `traces/task-<id>.md`: its heading
written and announced as the task starts (so that its link is live), each step appended,
unsynced, and the ending appended last, fsynced and announced (docs/design.md, "Agents")."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from blackboard import BlackboardFileNotFound
from blackboard.layout import TRACES, task_file_path
from skills.contracts import SwarmContext

__all__ = ["AGENT_STEP", "StepCall", "StepTrace", "Trace"]

AGENT_STEP = "agent_step"
"""The kind of the bus message that reports one step."""

# What the trace keeps of one argument list or answer: enough to follow, not a dump.
EXCERPT_CHARS = 600


@dataclass
class StepCall:
    """One tool call of a step and what it gave back."""

    tool: str
    arguments: str
    answer: str
    failed: bool = False


@dataclass
class StepTrace:
    """One model call and the tools it called."""

    step: int
    text: str
    calls: list[StepCall] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0
    latency_s: float = 0.0


class Trace:
    """The steps of one agent task so far."""

    def __init__(self, ctx: SwarmContext, max_steps: int) -> None:
        self._ctx = ctx
        self._max_steps = max_steps
        self.steps: list[StepTrace] = []
        self.path = task_file_path(TRACES, ctx.task_id, ".md")
        self.ending = ""

    def open(self) -> None:
        """Start the trace with its heading (replacing an earlier attempt's trace), on
        the event loop: unsynced and in place, it costs less than a thread's round trip."""
        self._ctx.blackboard.append(self.path, self._heading(), first=True)

    async def add(self, step: StepTrace) -> None:
        """Record a finished step: on the blackboard, then on the bus with the progress."""
        self.steps.append(step)
        await self.keep_step(step)
        body: dict[str, Any] = {"task_id": self._ctx.task_id, **asdict(step)}
        for call in body["calls"]:
            call["arguments"] = _excerpt(call["arguments"])
            call["answer"] = _excerpt(call["answer"])
        names = ", ".join(c.tool for c in step.calls) or "answered"
        await self._ctx.progress(min(1.0, step.step / self._max_steps),
                                 f"step {step.step}: {names}", message=(AGENT_STEP, body))

    async def keep_step(self, step: StepTrace) -> None:
        """Append the step to the trace's file (on the event loop: a few kilobytes, no
        fsync, cheaper than a thread's round trip)."""
        await self._append(_step_text(step), last=False)

    async def save(self) -> None:
        """Append the ending: the whole trace is then fsynced and announced (at the
        task's end)."""
        await self._append(self._end(), last=True)

    async def _append(self, text: str, *, last: bool) -> None:
        try:
            if last:
                await asyncio.to_thread(self._ctx.blackboard.append, self.path, text,
                                        last=True)
            else:
                self._ctx.blackboard.append(self.path, text)
            return
        except BlackboardFileNotFound:
            pass  # never opened, or removed meanwhile: written again whole
        await asyncio.to_thread(self._ctx.blackboard.write, self.path, self.render())

    def render(self) -> str:
        return self._heading() + "".join(_step_text(step) for step in self.steps) + self._end()

    def _heading(self) -> str:
        return f"# Trace of task {self._ctx.task_id} ({self._ctx.role})\n\n"

    def _end(self) -> str:
        return f"## End\n\n{self.ending}\n" if self.ending else ""


def _step_text(step: StepTrace) -> str:
    lines = [f"## Step {step.step}", "",
             f"_{step.tokens_in} tokens in, {step.tokens_out} out, {step.latency_s:.2f} s_", ""]
    if step.text.strip():
        lines += [_quoted(step.text), ""]
    for call in step.calls:
        mark = " (failed)" if call.failed else ""
        lines += [f"- `{call.tool}({_excerpt(call.arguments)})`{mark}", "",
                  _fenced(_excerpt(call.answer)), ""]
    return "".join(line + "\n" for line in lines)


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + " …"


def _quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.strip().splitlines())


def _fenced(text: str) -> str:
    fence = "~~~~" if "```" in text else "```"
    return f"{fence}text\n{text}\n{fence}"
