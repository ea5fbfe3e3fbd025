"""The tools every agent may be given, and the context they act in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from skills.agents.settings import AgentSettings
from skills.agents.tools import Tool, ToolError, tool_from_function
from skills.contracts import SwarmContext
from skills.offline.corpus import CorpusError, CorpusIndex
from taskqueue import HUMAN_ROLE

__all__ = ["BUILTIN_TOOLS", "SPAWN_DEPTH_KEY", "ToolContext"]

# The input key that tells a spawned agent how deep it is in a chain of spawns.
SPAWN_DEPTH_KEY = "spawn_depth"
# A tool's answer longer than this is cut: the model's context is finite.
MAX_ANSWER_CHARS = 8000
MAX_LINES = 200


@dataclass
class ToolContext:
    """What the tools of one agent task act on."""

    task: SwarmContext
    settings: AgentSettings
    # Roles whose tasks run the agent skill: their spawned tasks learn their depth.
    agent_roles: frozenset[str] = frozenset()
    corpus: Path | None = None
    index: Path | None = None
    depth: int = 0
    spawned: list[int] = field(default_factory=list)
    summary: str | None = None


def search_corpus(ctx: ToolContext, query: str) -> str:
    """Search the session's corpus; the best passages, each with its file and lines."""
    if ctx.corpus is None or ctx.index is None:
        raise ToolError("this session has no corpus to search")
    try:
        passages = CorpusIndex(ctx.index, ctx.corpus).search(query, 5)
    except CorpusError as exc:
        raise ToolError(str(exc)) from exc
    if not passages:
        return "no passage matches"
    return "\n\n".join(f"[{p.citation}]\n{p.text}" for p in passages)[:MAX_ANSWER_CHARS]


def read_lines(ctx: ToolContext, file: str, start: int = 1, end: int = 50) -> str:
    """Read lines `start` to `end` (1-based, inclusive) of a corpus file."""
    if ctx.corpus is None:
        raise ToolError("this session has no corpus")
    root = ctx.corpus.resolve()
    target = (root / file).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise ToolError(f"{file!r} is not a file of the corpus")
    if start < 1 or end < start:
        raise ToolError("give 1 <= start <= end")
    lines = target.read_text(encoding="utf-8", errors="replace").splitlines()
    chosen = lines[start - 1:min(end, start - 1 + MAX_LINES)]
    return "\n".join(f"{n}: {line}" for n, line in enumerate(chosen, start))[:MAX_ANSWER_CHARS]


def list_blackboard(ctx: ToolContext) -> str:
    """List the files on the session's blackboard."""
    return "\n".join(ctx.task.blackboard.list("")) or "(the blackboard is empty)"


def read_blackboard(ctx: ToolContext, path: str) -> str:
    """Read one file of the blackboard (a path as `list_blackboard` gives it)."""
    return ctx.task.blackboard.read(path)[:MAX_ANSWER_CHARS]


def write_blackboard(ctx: ToolContext, path: str, text: str,
                     sources: list[str] | None = None) -> str:
    """Write a file on the blackboard (Markdown, a `.md` path) citing its sources."""
    written = ctx.task.blackboard.write(path, text, sources or [])
    return f"written: {written}"


async def spawn_task(ctx: ToolContext, role: str, title: str,
                     input: dict[str, object] | None = None) -> str:  # noqa: A002 - the issue's name
    """Add a task for another role of this session; its id is returned."""
    if len(ctx.spawned) >= ctx.settings.max_spawn:
        raise ToolError(f"this task may add at most {ctx.settings.max_spawn} tasks")
    given = dict(input or {})
    if role in ctx.agent_roles:
        if ctx.depth + 1 > ctx.settings.max_depth:
            raise ToolError(f"agents may spawn agents at most {ctx.settings.max_depth} deep")
        given[SPAWN_DEPTH_KEY] = ctx.depth + 1
    task_id = await ctx.task.enqueue(role=role, title=title, input=given)
    ctx.spawned.append(task_id)
    return f"added task {task_id} for role {role}"


async def ask_human(ctx: ToolContext, question: str) -> str:
    """Ask the person running the session; their answer arrives later on the blackboard."""
    if len(ctx.spawned) >= ctx.settings.max_spawn:
        raise ToolError(f"this task may add at most {ctx.settings.max_spawn} tasks")
    task_id = await ctx.task.enqueue(role=HUMAN_ROLE, title=question,
                                     input={"question": question})
    ctx.spawned.append(task_id)
    return (f"asked as task {task_id}; `swarm answer {task_id}` puts the answer on the "
            "blackboard, which a later task can read")


async def finish(ctx: ToolContext, summary: str) -> str:
    """End this task with a summary of what was done."""
    # A coroutine, though it never waits: a plain function would take a thread's trip.
    ctx.summary = summary
    return "finished"


BUILTIN_TOOLS: tuple[Tool, ...] = tuple(tool_from_function(f) for f in (
    search_corpus, read_lines, list_blackboard, read_blackboard, write_blackboard,
    spawn_task, ask_human, finish))
